/**
 * Host configuration: pure parse and merge of KubeControllersConfiguration/default and the environment (environment wins), typed reads that name the offending field.
 */
package dev.calicorr.core.config;
