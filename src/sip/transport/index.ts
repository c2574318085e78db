export * from './types.js';
export type { TransportLogger } from './logger.js';
export { noopLogger } from './logger.js';
export type { ListenOptions, TlsClientOptions, TlsServerCredentials, TransportLayerOptions, UdpOptions, ConnectionOptions } from './options.js';
export { createTransportLayer, NetworkTransportLayer } from './transport-layer.js';
export { responseDestination } from './response-route.js';
export { stampVia } from './via-stamp.js';
export { FakeNetwork, FakeTransport, type FakeSent, type FakeTransportOptions, type SentPredicate } from './fake-transport.js';
export { DEFAULT_PORTS } from './address.js';
