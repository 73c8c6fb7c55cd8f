/**
 * The controller's Prometheus metrics (design section 6).
 */
package dev.calicorr.routereflector.metrics;
