import { createContext, useContext } from 'react';
import type { AppJsonData } from '../../types';

/** The app's jsonData (data source uid, scheduler URL), handed down from AppRootProps.meta. */
export const AppSettingsContext = createContext<AppJsonData>({});

export function useAppSettings(): AppJsonData {
  return useContext(AppSettingsContext);
}
