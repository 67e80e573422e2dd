#!/usr/bin/env node
// The `aviso` command (placeholder until the member CLI lands).
console.error('aviso: not built yet');
process.exitCode = 1;
