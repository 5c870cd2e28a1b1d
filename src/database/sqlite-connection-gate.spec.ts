import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, EntitySchema } from 'typeorm';
import { SqliteConnectionGate } from './sqlite-connection-gate';

interface Note {
  id?: number;
  text: string;
}

const NoteSchema = new EntitySchema<Note>({
  name: 'Note',
  tableName: 'notes',
  columns: { id: { type: Number, primary: true, generated: true }, text: { type: String, unique: true } },
});

const tick = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));

/** The one SQLite connection of a process: transactions alone, IMMEDIATE, plain statements outside them. */
describe('SqliteConnectionGate', () => {
  let dir: string;
  let dataSource: DataSource;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nest-mlops-gate-'));
    dataSource = await new DataSource({
      type: 'better-sqlite3',
      database: join(dir, 'gate.sqlite'),
      enableWAL: true,
      timeout: 200,
      entities: [NoteSchema],
      synchronize: true,
    }).initialize();
    SqliteConnectionGate.install(dataSource);
  });

  afterEach(async () => {
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const texts = async () =>
    (await dataSource.getRepository(NoteSchema).find({ order: { id: 'ASC' } })).map((n) => n.text);

  /**
   * Opens a transaction that inserts `text`, holds the connection for a moment and rolls back; resolves once its
   * insert ran, with the transaction's outcome.
   */
  const openFailingTransaction = async (text: string): Promise<{ failing: Promise<void> }> => {
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const failing = dataSource.transaction(async (manager) => {
      await manager.insert(NoteSchema, { text });
      opened();
      await tick();
      throw new Error('give up');
    });
    await open;
    return { failing };
  };

  it("keeps a save made during another caller's transaction when that transaction rolls back", async () => {
    const { failing } = await openFailingTransaction('rolled back');
    // Without the gate this save ran inside the open transaction and went with its rollback.
    const saved = dataSource.getRepository(NoteSchema).save({ text: 'kept' });
    await expect(failing).rejects.toThrow('give up');
    await saved;
    expect(await texts()).toEqual(['kept']);
  });

  it("does not show a plain read another caller's uncommitted rows", async () => {
    const { failing } = await openFailingTransaction('never committed');
    const read = texts();
    await expect(failing).rejects.toThrow('give up');
    expect(await read).toEqual([]);
  });

  it("runs concurrent transactions one after another: one's rollback leaves the other's rows", async () => {
    const order: string[] = [];
    const first = dataSource.transaction(async (manager) => {
      order.push('first begins');
      await manager.insert(NoteSchema, { text: 'first' });
      await tick();
      order.push('first ends');
    });
    const second = dataSource.transaction(async (manager) => {
      order.push('second begins');
      await manager.insert(NoteSchema, { text: 'second' });
      await tick();
      throw new Error('second gives up');
    });
    await first;
    await expect(second).rejects.toThrow('second gives up');
    expect(order).toEqual(['first begins', 'first ends', 'second begins']);
    expect(await texts()).toEqual(['first']);
  });

  it('lets a transaction nest its own transactions and plain statements without waiting for itself', async () => {
    await dataSource.transaction(async (manager) => {
      await manager.insert(NoteSchema, { text: 'outer' });
      await dataSource.getRepository(NoteSchema).save({ text: 'same context' });
      await dataSource.transaction((inner) => inner.insert(NoteSchema, { text: 'inner' }));
    });
    expect(await texts()).toEqual(['outer', 'same context', 'inner']);
  });

  it('leaves no transaction open after a BEGIN that timed out: a later multi-row save is still all or nothing', async () => {
    const other = new Database(join(dir, 'gate.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    try {
      await expect(dataSource.transaction((manager) => manager.insert(NoteSchema, { text: 'waits' }))).rejects.toThrow(
        /database is locked/,
      );
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    // Without the reset TypeORM believed a transaction open and saved these two without one: the first stayed.
    const repository = dataSource.getRepository(NoteSchema);
    await expect(repository.save([{ text: 'twice' }, { text: 'twice' }])).rejects.toThrow(/UNIQUE/);
    expect(await texts()).toEqual([]);
    await repository.save({ text: 'after' });
    expect(await texts()).toEqual(['after']);
  });

  it('holds the write lock from BEGIN: a transaction that read first still writes after another connection tried', async () => {
    const other = new Database(join(dir, 'gate.sqlite'), { timeout: 0 });
    try {
      let othersWrite: unknown;
      await dataSource.transaction(async (manager) => {
        await manager.find(NoteSchema);
        // A deferred transaction would let this commit, then fail its own write with SQLITE_BUSY_SNAPSHOT.
        try {
          other.prepare(`INSERT INTO notes (text) VALUES ('other connection')`).run();
        } catch (error) {
          othersWrite = error;
        }
        await manager.insert(NoteSchema, { text: 'after the read' });
      });
      expect(othersWrite).toMatchObject({ code: 'SQLITE_BUSY' });
      expect(await texts()).toEqual(['after the read']);
    } finally {
      other.close();
    }
  });
});
