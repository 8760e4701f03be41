// Entry point of the `mdlsync` command; filled in by the CLI module.
export {};
