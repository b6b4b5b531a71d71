// Preload (`node -r ./force-loopback.cjs ...`) that keeps a server on loopback: kinesis-local hard-codes
// 0.0.0.0 and has no host setting. Rewrites the host of `listen(port, host, ...)` and `listen({ port, host })`
// to 127.0.0.1 before the real listen runs. Unix-socket and handle listens pass through untouched.
/* global require */
/* eslint-disable @typescript-eslint/no-require-imports */
'use strict';
const net = require('node:net');

const LOOPBACK = '127.0.0.1';
const original = net.Server.prototype.listen;

net.Server.prototype.listen = function listen(...args) {
  const first = args[0];
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    if (first.path === undefined && first.handle === undefined && first._handle === undefined && first.fd === undefined)
      args[0] = { ...first, host: LOOPBACK };
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] === 'string') args[1] = LOOPBACK;
    else args.splice(1, 0, LOOPBACK);
  }
  return original.apply(this, args);
};
