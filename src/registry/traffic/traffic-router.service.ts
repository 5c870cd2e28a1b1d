import { Injectable } from '@nestjs/common';
import { ServiceMetrics } from '../../metrics/service-metrics';
import { ActiveModels } from '../active-models.service';
import type { TrafficMode } from '../entities/traffic-policy.entity';
import type { ServedModel } from '../served-model';

/** Which version answers a request, under which policy, and which versions shadow it. */
export interface TrafficRoute {
  served: ServedModel;
  /** The policy's id (0: the default champion policy) and mode, as the prediction log records them. */
  policyId: number;
  mode: TrafficMode;
  /** Shadow mode: the versions that also score the request's rows, off the request path. */
  shadow: readonly ServedModel[];
}

/** A policy ready to route by: its arms loaded and warmed, their cumulative weights. */
export interface CompiledPolicy {
  policyId: number;
  mode: TrafficMode;
  /** canary / ab: the versions of the arms (undefined: the version could not be loaded here; the champion answers). */
  arms: readonly (ServedModel | undefined)[];
  armVersions: readonly number[];
  /** Cumulative weights of the arms, the last one being the total. */
  cumulative: readonly number[];
  /** Lowercased request header whose value keeps a client on one arm; null: random. */
  stickyHeader: string | null;
  shadow: readonly ServedModel[];
  /** False when a version it names could not be loaded here: the next sync tries again. */
  complete: boolean;
}

type Headers = Record<string, string | string[] | undefined>;

const NO_SHADOW: readonly ServedModel[] = [];

/**
 * The traffic policies this process routes by (TrafficService keeps them in step with the database). A model with
 * no policy, or the `champion` policy, is answered by its served champion (ActiveModels). Weighted arms are picked
 * from the sticky header's hash when the client sends it, so a key always lands on the same version on every
 * replica, and at random otherwise.
 */
@Injectable()
export class TrafficRouter {
  private readonly policies = new Map<string, CompiledPolicy>();

  constructor(
    private readonly active: ActiveModels,
    private readonly metrics: ServiceMetrics,
  ) {}

  /** The route of one request of `name` (ModelNotReadyError, 503, when it needs the champion and there is none). */
  route(name: string, headers?: Headers): TrafficRoute {
    const policy = this.policies.get(name);
    if (policy === undefined)
      return { served: this.active.require(name), policyId: 0, mode: 'champion', shadow: NO_SHADOW };
    if (policy.arms.length === 0) {
      return { served: this.active.require(name), policyId: policy.policyId, mode: policy.mode, shadow: policy.shadow };
    }
    const arm = pickArm(policy, headers);
    const served = policy.arms[arm];
    if (served !== undefined) {
      // The champion's arm is answered by the served champion itself (the instance ActiveModels swaps).
      const champion = this.active.get(name);
      const answering = champion?.version === served.version ? champion : served;
      return { served: answering, policyId: policy.policyId, mode: policy.mode, shadow: NO_SHADOW };
    }
    this.metrics.trafficFellBack(name, policy.armVersions[arm]);
    return { served: this.active.require(name), policyId: policy.policyId, mode: policy.mode, shadow: NO_SHADOW };
  }

  /** The compiled policy of `name`, if one is in force here. */
  policy(name: string): CompiledPolicy | undefined {
    return this.policies.get(name);
  }

  /** A loaded version this process holds for a policy of `name` (so a new policy naming it need not load it again). */
  loaded(name: string, version: number): ServedModel | undefined {
    const policy = this.policies.get(name);
    return [...(policy?.arms ?? []), ...(policy?.shadow ?? [])].find((m) => m?.version === version);
  }

  /** Routes by `policy` from the next request on, unless a newer policy (a higher id) is in force already. */
  install(name: string, policy: CompiledPolicy): void {
    const current = this.policies.get(name);
    if (current && current.policyId > policy.policyId) return;
    this.policies.set(name, policy);
    const total = policy.cumulative.at(-1) ?? 0;
    const shares = new Map<number, number>();
    policy.armVersions.forEach((version, i) => {
      const weight = policy.cumulative[i] - (i === 0 ? 0 : policy.cumulative[i - 1]);
      shares.set(version, (shares.get(version) ?? 0) + weight / total);
    });
    this.metrics.trafficPolicySet(name, policy.mode, policy.policyId, shares);
  }

  remove(name: string): void {
    this.policies.delete(name);
  }
}

/** The arm of a request: by the sticky key's hash when there is one, at random otherwise. */
function pickArm(policy: CompiledPolicy, headers: Headers | undefined): number {
  const key = policy.stickyHeader === null ? undefined : headers?.[policy.stickyHeader];
  const total = policy.cumulative[policy.cumulative.length - 1];
  const point = (typeof key === 'string' && key !== '' ? stickyHash(key) / 4_294_967_296 : Math.random()) * total;
  const { cumulative } = policy;
  for (let i = 0; i < cumulative.length - 1; i++) if (point < cumulative[i]) return i;
  return cumulative.length - 1;
}

/**
 * 32-bit FNV-1a of a string's UTF-16 code units, finished with MurmurHash3's avalanche so that keys differing in one
 * character spread over the whole range: the same key gives the same arm on every replica and after restarts.
 */
export function stickyHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
