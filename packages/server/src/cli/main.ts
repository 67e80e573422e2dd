#!/usr/bin/env node
// The `aviso-relay` command. Everything testable lives in run.ts.
import { runCli } from './run.js';

const code = await runCli(process.argv.slice(2));
// `serve` keeps running (its sockets hold the event loop); other commands end here.
process.exitCode = code;
