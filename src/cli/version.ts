/** repoxy's version, as `repoxy --version` prints it; test/cli/version.test.ts keeps it equal to package.json's. */
export const VERSION = '0.1.0';
