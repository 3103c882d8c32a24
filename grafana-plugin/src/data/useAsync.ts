import { useEffect, useState } from 'react';
import { DataError, toDataError } from './errors';

export type AsyncState<T> = { status: 'loading' } | { status: 'error'; error: DataError } | { status: 'done'; data: T };

/** Runs `load` whenever `deps` change and ignores answers that arrive after a newer request. */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): AsyncState<T> {
  const [state, setState] = useState<AsyncState<T>>({ status: 'loading' });
  useEffect(() => {
    let current = true;
    setState({ status: 'loading' });
    load().then(
      (data) => current && setState({ status: 'done', data }),
      (e: unknown) => current && setState({ status: 'error', error: toDataError(e, 'Request') }),
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return state;
}
