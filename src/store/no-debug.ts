// Stands in for the `debug` package inside Lambda bundles: ioredis only logs through it.
const noop = Object.assign(() => undefined, { enabled: false, extend: () => noop, log: () => undefined });
const debug = Object.assign(() => noop, { enable: () => undefined, disable: () => '', enabled: () => false });
module.exports = Object.assign(debug, { default: debug, debug });
