/**
 * The kube-controllers command line: parses flags, builds the API clients, runs the host until SIGTERM.
 */
package dev.calicorr.core;
