import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database } from 'better-sqlite3';
import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { SerialQueue } from '../common/async/serial-queue';

/** TypeORM's statement opening a top-level transaction on SQLite, and what this process sends instead. */
const DEFERRED_BEGIN = 'BEGIN TRANSACTION';
const IMMEDIATE_BEGIN = 'BEGIN IMMEDIATE TRANSACTION';

/** The EntityManager methods that open a transaction of their own (TypeORM's persist executor). */
const PERSIST_METHODS = ['save', 'remove', 'softRemove', 'recover'] as const;

const gates = new WeakMap<DataSource, SqliteConnectionGate>();

/**
 * The one better-sqlite3 connection of this process, shared by every caller: a transaction has it to itself.
 *
 * TypeORM gives every caller on SQLite the same query runner, so without this gate the statements of concurrent
 * callers interleave between their awaits: a second transaction becomes a SAVEPOINT inside the first, and a plain
 * query or save that runs while another caller's transaction is open joins it (a rollback of that transaction takes
 * its rows along, and it reads rows that may never commit). Here a transaction (`DataSource.transaction`, or a
 * save/remove, which TypeORM wraps in one) waits until the queries in flight have finished, runs alone, and the
 * queries of other callers wait until it has ended; the transaction's own statements are recognised by their
 * asynchronous context. Transactions start with `BEGIN IMMEDIATE`: the prediction log's writer thread writes the same
 * file on its own connection, and a deferred transaction that read before that thread committed could not write
 * afterwards (SQLITE_BUSY_SNAPSHOT, "database is locked" at once, without the busy timeout's wait).
 */
export class SqliteConnectionGate {
  private readonly logger = new Logger(SqliteConnectionGate.name);
  private readonly context = new AsyncLocalStorage<symbol>();
  private readonly transactions = new SerialQueue();
  /** The transaction that has the connection, by its context's token. */
  private owner: symbol | null = null;
  /** A transaction is waiting for the queries in flight: new ones wait behind it. */
  private claiming = false;
  private inFlight = 0;
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly runner: QueryRunner,
    private readonly connection: Database,
  ) {}

  /** Installs the gate on a SQLite DataSource (once; before anything else uses it). */
  static install(dataSource: DataSource): SqliteConnectionGate {
    const runner = dataSource.driver.createQueryRunner('master');
    const connection = (dataSource.driver as unknown as { databaseConnection: Database }).databaseConnection;
    const gate = new SqliteConnectionGate(runner, connection);
    gate.wrapRunner(runner);
    gate.wrapManager(dataSource.manager);
    gates.set(dataSource, gate);
    return gate;
  }

  /** The gate of a SQLite DataSource (undefined on PostgreSQL, where each transaction has a connection of its own). */
  static of(dataSource: DataSource): SqliteConnectionGate | undefined {
    return gates.get(dataSource);
  }

  /** Runs `work` as a transaction: alone on the connection, after every transaction queued before it. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.inside()) return work();
    return this.transactions.run(async () => {
      this.claiming = true;
      try {
        while (this.inFlight > 0) await this.changed();
      } finally {
        this.claiming = false;
      }
      const token = Symbol('transaction');
      this.owner = token;
      try {
        return await this.context.run(token, work);
      } finally {
        this.reset();
        this.owner = null;
        this.wake();
      }
    });
  }

  /**
   * After a transaction, the connection and TypeORM's runner are out of any transaction. TypeORM marks its runner
   * in a transaction before sending BEGIN, so a BEGIN IMMEDIATE that timed out (another connection held the write
   * lock) would leave it so, and every later save would skip its own transaction (a failed multi-row save keeping
   * its first rows); a failed ROLLBACK would leave the connection inside the transaction.
   */
  private reset(): void {
    const runner = this.runner as unknown as { isTransactionActive: boolean; transactionDepth: number };
    if (!this.connection.inTransaction && !runner.isTransactionActive && runner.transactionDepth === 0) return;
    this.logger.warn('A transaction ended without closing: rolled back what was left open');
    if (this.connection.inTransaction) this.connection.exec('ROLLBACK');
    runner.isTransactionActive = false;
    runner.transactionDepth = 0;
  }

  /** Runs `work` (statements outside any transaction) when no other caller's transaction has the connection. */
  async shared<T>(work: () => Promise<T>): Promise<T> {
    if (this.inside()) return work();
    while (this.owner !== null || this.claiming) await this.changed();
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.wake();
    }
  }

  /** Whether the caller runs inside the transaction that has the connection. */
  private inside(): boolean {
    return this.owner !== null && this.context.getStore() === this.owner;
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private wrapRunner(runner: QueryRunner): void {
    const query = runner.query.bind(runner) as (sql: string, ...rest: unknown[]) => Promise<unknown>;
    runner.query = ((sql: string, ...rest: unknown[]) =>
      this.shared(() => query(sql === DEFERRED_BEGIN ? IMMEDIATE_BEGIN : sql, ...rest))) as QueryRunner['query'];
  }

  private wrapManager(manager: EntityManager): void {
    const transaction = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
    const wrapped = (...args: unknown[]) => this.exclusive(() => transaction(...args));
    manager.transaction = wrapped;
    for (const method of PERSIST_METHODS) {
      const persist = (manager[method] as (...args: unknown[]) => Promise<unknown>).bind(manager);
      (manager as unknown as Record<string, unknown>)[method] = (...args: unknown[]) =>
        this.exclusive(() => persist(...args));
    }
  }
}
