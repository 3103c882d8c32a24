import type { AuxTable, TableRows } from '@meridian/store';

/**
 * Column names of the store's aux tables, checked against store/src/schema/aux.ts at compile time:
 * `col('topology', 'route_km')` fails the build if the row type loses that field.
 */
export function col<T extends AuxTable>(_table: T, column: keyof TableRows[T] & string): string {
  return column;
}

/** An aux table's name, checked against the store's AuxTable union. */
export function auxTable<T extends AuxTable>(table: T): T {
  return table;
}
