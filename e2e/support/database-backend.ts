// Which catalogue database the whole-system harness gives core-server: SQLite in its data dir
// (the default), or a fresh PostgreSQL database per System when a file under e2e/postgres/ has
// installed a factory with useDatabaseFactory(). The same scenarios thus prove both backends.
type DatabaseFactory = () => Promise<string>;

let factory: DatabaseFactory | undefined;

export function useDatabaseFactory(next: DatabaseFactory): void {
  factory = next;
}

/** A connection URL for a new System, or undefined for the embedded SQLite catalogue. */
export async function newDatabaseUrl(): Promise<string | undefined> {
  return factory ? factory() : undefined;
}
