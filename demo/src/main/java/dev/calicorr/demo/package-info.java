/**
 * The local demo behind ./demo.sh.
 */
package dev.calicorr.demo;
