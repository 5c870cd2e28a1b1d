import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { DomainEvents } from '../common/events/domain-events';
import { AppConfig } from '../config/app-config';
import { ServiceMetrics } from '../metrics/service-metrics';
import { CLUSTER_CHANNEL, ClusterEvent, ClusterMessage } from './cluster.events';

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 30_000;
const PING_MS = 15_000;

/**
 * The processes sharing a PostgreSQL database tell each other what changed: `publish` sends a NOTIFY in the
 * caller's transaction (PostgreSQL delivers it when that transaction commits, never before or for a rollback), and
 * a dedicated connection LISTENs and re-emits each message from another process as a local event
 * (`cluster.<type>` domain events). A dropped connection is reopened with exponential backoff and announced as `resync`, since
 * messages may have been missed meanwhile. On SQLite there are no other replicas to tell: publishing does nothing.
 */
@Injectable()
export class ClusterBus implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ClusterBus.name);
  /** This process, as the origin of its messages: `host:pid:random`. */
  readonly instance = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private client?: Client;
  private reconnect?: NodeJS.Timeout;
  private backoffMs = MIN_BACKOFF_MS;
  private closed = false;
  private connected = false;

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: DomainEvents,
    /** Absent in the command-line tools, which have no /metrics. */
    @Optional() private readonly metrics?: ServiceMetrics,
  ) {
    metrics?.onScrape(() => metrics.clusterListening(this.connected));
  }

  /** Whether messages travel between processes (PostgreSQL). */
  get shared(): boolean {
    return this.config.DATABASE_URL !== undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.shared) await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnect);
    await this.client?.end().catch(() => undefined);
  }

  /**
   * Tells the other processes. With `manager` (a transaction), the message leaves when it commits; without, at
   * once. On SQLite, nothing to do.
   */
  async publish(message: ClusterMessage, manager?: EntityManager): Promise<void> {
    if (!this.shared) return;
    const payload = JSON.stringify({ ...message, origin: this.instance });
    await (manager ?? this.dataSource.manager).query('SELECT pg_notify($1, $2)', [CLUSTER_CHANNEL, payload]);
  }

  private async listen(): Promise<void> {
    const client = new Client({
      connectionString: this.config.DATABASE_URL,
      application_name: 'nest-mlops:listen',
      connectionTimeoutMillis: 10_000,
      // A connection that died silently (a partition, a failover) is found by TCP keepalive and the ping below.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    this.client = client;
    client.on('notification', (n) => this.receive(n.payload));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${CLUSTER_CHANNEL}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    const reconnected = this.backoffMs > MIN_BACKOFF_MS;
    this.backoffMs = MIN_BACKOFF_MS;
    this.connected = true;
    this.logger.log(`Listening for changes from other replicas (${this.instance})`);
    this.ping(client);
    if (reconnected) this.events.emit('cluster.resync', new ClusterEvent('*', this.instance));
  }

  /** Every PING_MS, a query on the listening connection: one that does not answer within PING_MS is reopened. */
  private ping(client: Client): void {
    const timer = setInterval(() => {
      if (client !== this.client || this.closed) return clearInterval(timer);
      const timeout = setTimeout(() => this.lost(client, new Error('no answer to a ping')), PING_MS);
      timeout.unref();
      client.query('SELECT 1').then(
        () => clearTimeout(timeout),
        (error: unknown) => (clearTimeout(timeout), this.lost(client, error)),
      );
    }, PING_MS);
    timer.unref();
  }

  /** The listening connection failed: reopen it after a growing delay (once per connection). */
  private lost(client: Client, error: unknown): void {
    if (this.closed || client !== this.client) return;
    this.client = undefined;
    this.connected = false;
    void client.end().catch(() => undefined);
    const delay = this.backoffMs;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
    this.logger.warn(`Lost the notification connection (${String(error)}); reconnecting in ${delay} ms`);
    this.reconnect = setTimeout(() => void this.listen(), delay);
    this.reconnect.unref();
  }

  private receive(payload: string | undefined): void {
    let message: ClusterMessage & { origin?: unknown };
    try {
      message = JSON.parse(payload ?? '') as ClusterMessage & { origin?: unknown };
    } catch {
      this.logger.warn(`Ignored a malformed notification: ${String(payload).slice(0, 200)}`);
      return;
    }
    const known = ['alias', 'definition', 'job', 'traffic'].includes(message?.type);
    if (!known || typeof message.model !== 'string' || message.origin === this.instance) return;
    this.metrics?.clusterMessage(message.type);
    this.events.emit(`cluster.${message.type}`, new ClusterEvent(message.model, String(message.origin)));
  }
}
