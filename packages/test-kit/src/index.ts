export { callJson, type JsonAnswer, type JsonCall } from "./http.js";
export { freePort } from "./ports.js";
export { processAlive } from "./processes.js";
export { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";
export { sleep, until } from "./wait.js";
