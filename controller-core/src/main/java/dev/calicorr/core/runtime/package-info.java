/**
 * The host process: one informer factory, plugin lifecycles, leader election on a Lease, clean shutdown. Writes only the Lease, Events and the configuration report.
 */
package dev.calicorr.core.runtime;
