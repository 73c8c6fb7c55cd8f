/**
 * The plugin contract: what a controller implements to run in the host (found with ServiceLoader), and what the host hands it.
 */
package dev.calicorr.core.plugin;
