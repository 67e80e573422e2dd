// The `aviso` command line, as a library so tests and scripts can drive it in-process.
export {};
