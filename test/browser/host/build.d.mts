export declare function buildHost(outDir: string): Promise<string>;
