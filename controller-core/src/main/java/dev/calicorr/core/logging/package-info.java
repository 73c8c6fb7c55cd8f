/**
 * Run-time log level changes (LOG_LEVEL, logSeverityScreen).
 */
package dev.calicorr.core.logging;
