import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { ClusterBus } from '../../cluster/cluster-bus.service';
import { ArtifactLock } from '../../training/artifact-lock.service';
import { TrafficEventEntity } from '../entities/traffic-event.entity';
import { TrafficPolicyEntity } from '../entities/traffic-policy.entity';
import { lockKeptArtifacts } from '../kept-artifacts.util';

export type NewTrafficPolicy = Pick<TrafficPolicyEntity, 'modelName' | 'mode' | 'arms' | 'shadow' | 'stickyHeader'>;

/** Traffic policies and their audit trail: a change and its event are written in one transaction. */
@Injectable()
export class TrafficPolicyRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(TrafficPolicyEntity) private readonly policies: Repository<TrafficPolicyEntity>,
    @InjectRepository(TrafficEventEntity) private readonly events: Repository<TrafficEventEntity>,
    private readonly bus: ClusterBus,
    private readonly lock: ArtifactLock,
  ) {}

  find(modelName: string): Promise<TrafficPolicyEntity | null> {
    return this.policies.findOneBy({ modelName });
  }

  findAll(): Promise<TrafficPolicyEntity[]> {
    return this.policies.find();
  }

  /**
   * Puts `policy` in force: appends its event (whose id becomes the policy's id) and writes the policy row, then
   * tells the other replicas when the transaction commits. A version whose artifact was pruned by retention is refused
   * (410; see lockKeptArtifacts).
   */
  set(policy: NewTrafficPolicy, actor: string, reason: string): Promise<TrafficPolicyEntity> {
    return this.lock.exclusive(() => this.setNow(policy, actor, reason));
  }

  private setNow(policy: NewTrafficPolicy, actor: string, reason: string): Promise<TrafficPolicyEntity> {
    return this.dataSource.transaction(async (manager) => {
      const versions = [...policy.arms.map((a) => a.version), ...policy.shadow];
      await lockKeptArtifacts(manager, policy.modelName, versions);
      const previous = await manager.findOneBy(TrafficPolicyEntity, { modelName: policy.modelName });
      const event = await manager.save(
        TrafficEventEntity,
        manager.create(TrafficEventEntity, { ...policy, previousMode: previous?.mode ?? null, actor, reason }),
      );
      const row = manager.create(TrafficPolicyEntity, { ...policy, policyId: event.id, updatedAt: new Date() });
      await manager.save(TrafficPolicyEntity, row);
      await this.bus.publish({ type: 'traffic', model: policy.modelName }, manager);
      return row;
    });
  }

  /** Removes a model's policy (its model was retired); the audit trail stays. */
  async remove(modelName: string): Promise<void> {
    await this.policies.delete({ modelName });
  }

  /** The traffic audit trail of a model, oldest first. */
  history(modelName: string): Promise<TrafficEventEntity[]> {
    return this.events.find({ where: { modelName }, order: { id: 'ASC' } });
  }
}
