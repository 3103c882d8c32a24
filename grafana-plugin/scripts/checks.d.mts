export declare const PLUGIN_ROOT: string;
export declare const DIST: string;
export declare const ID_RULE: RegExp;
export declare function appRoutes(): string[];
export declare function schemaErrors(pluginJson: unknown): string[];
export declare function appRuleErrors(pluginJson: unknown): string[];
export declare function unresolvedPaths(pluginJson: unknown, distDir: string, appRoutes: string[]): string[];
