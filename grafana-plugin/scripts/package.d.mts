export declare function packagePlugin(opts?: {
  distDir?: string;
  outDir?: string;
}): Promise<{ file: string; bytes: number }>;
