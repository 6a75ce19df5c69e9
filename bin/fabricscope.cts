#!/usr/bin/env node
/**
 * The command's entry, CommonJS so that it runs before Node's thread pool is first used (an ES
 * module is read through that pool, which is sized at its first use). The pool (libuv's, four
 * threads by default) runs the file system calls and the embedded warehouse's statements, which run
 * side by side: with four long ones, the bus's appends, and so the collector's acks, would wait for
 * them. 20 threads: the warehouse runs as many statements at once as leave four to the rest
 * (common/warehouse/chdb-sessions.ts). A UV_THREADPOOL_SIZE given is kept.
 */
process.env.UV_THREADPOOL_SIZE ??= '20';
void import('./cli.js');
