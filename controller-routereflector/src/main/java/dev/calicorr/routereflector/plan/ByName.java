package dev.calicorr.routereflector.plan;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * Sorting by node name, as {@code list.sort(Comparator.comparing(name))} does, but fast for the
 * 100,000 moves of a first plan. Comparing strings chases two pointers per comparison and misses
 * the cache at that size (50-90 ms on our machine). Here each name is read once into a number that
 * orders like its first eight characters after the prefix all names share, the numbers are radix
 * sorted, and only names whose numbers tie are compared as strings. Where any fixed order will do,
 * {@link #sortByNameHash} is cheaper still.
 */
final class ByName {
    /** Below this a plain sort is as fast. */
    private static final int PLAIN_BELOW = 512;
    /** Characters in a key: one byte each. */
    private static final int KEY_CHARS = 8;
    /** Names the shared prefix is first taken from. */
    private static final int SAMPLE = 64;

    private ByName() {
    }

    static <T> void sort(List<T> items, Function<T, String> name) {
        int n = items.size();
        if (n < PLAIN_BELOW) {
            items.sort(Comparator.comparing(name));
            return;
        }
        String[] names = new String[n];
        for (int i = 0; i < SAMPLE; i++) {
            names[i] = name.apply(items.get(i));
        }
        // the prefix of a sample, checked on every name as its key is read: one pass over the names
        int prefix = sharedPrefix(names, SAMPLE);
        long[] keys = new long[n];
        int named = SAMPLE;
        for (int i = 0; i < n; i++) {
            if (i == named) {
                names[named++] = name.apply(items.get(i));
            }
            String next = names[i];
            if (!next.regionMatches(0, names[0], 0, prefix)) { // rare: the sample shared more than all do
                while (named < n) {
                    names[named] = name.apply(items.get(named));
                    named++;
                }
                prefix = sharedPrefix(names, n);
                i = -1; // keys so far are redone, once
                continue;
            }
            long key = 0;
            for (int c = prefix; c < prefix + KEY_CHARS; c++) {
                char ch = c < next.length() ? next.charAt(c) : 0; // past the end: before any character
                if (ch > 0xff) {
                    items.sort(Comparator.comparing(name)); // not Latin-1: node names never are
                    return;
                }
                key = key << 8 | ch;
            }
            keys[i] = key;
        }
        sortByKeys(items, keys, names);
    }

    /**
     * A fixed order that is cheaper than names: by the names' hash codes, which a String keeps once
     * computed, and by name where two hash codes are equal. For choices that need the same order
     * whatever the snapshot's order, but no particular one.
     */
    static <T> void sortByNameHash(List<T> items, Function<T, String> name) {
        int n = items.size();
        String[] names = new String[n];
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            names[i] = name.apply(items.get(i));
            keys[i] = names[i].hashCode() & 0xffffffffL;
        }
        sortByKeys(items, keys, names);
    }

    /** Sorts {@code items} by {@code keys} (unsigned), items whose keys are equal by {@code names}. */
    private static <T> void sortByKeys(List<T> items, long[] keys, String[] names) {
        int n = items.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        radixSort(keys, order);
        Object[] sorted = new Object[n];
        for (int start = 0; start < n; ) {
            int end = start + 1;
            while (end < n && keys[end] == keys[start]) {
                end++;
            }
            if (end - start > 1) { // keys alike: compared by name in full
                Integer[] tied = new Integer[end - start];
                for (int i = start; i < end; i++) {
                    tied[i - start] = order[i];
                }
                Arrays.sort(tied, Comparator.comparing(i -> names[i]));
                for (int i = start; i < end; i++) {
                    order[i] = tied[i - start];
                }
            }
            for (int i = start; i < end; i++) {
                sorted[i] = items.get(order[i]);
            }
            start = end;
        }
        for (int i = 0; i < n; i++) {
            @SuppressWarnings("unchecked")
            T item = (T) sorted[i];
            items.set(i, item);
        }
    }

    /** How many leading characters the first {@code count} names share. */
    private static int sharedPrefix(String[] names, int count) {
        String first = names[0];
        int prefix = first.length();
        for (int i = 1; i < count && prefix > 0; i++) {
            String other = names[i];
            int limit = Math.min(prefix, other.length());
            int same = 0;
            while (same < limit && first.charAt(same) == other.charAt(same)) {
                same++;
            }
            prefix = same;
        }
        return prefix;
    }

    /** Sorts {@code keys} as unsigned numbers, a byte at a time, carrying {@code order} along; stable. */
    private static void radixSort(long[] keys, int[] order) {
        int n = keys.length;
        long[] keysTo = new long[n];
        int[] orderTo = new int[n];
        for (int shift = 0; shift < Long.SIZE; shift += Byte.SIZE) {
            int[] start = new int[257];
            for (long key : keys) {
                start[(int) (key >>> shift & 0xff) + 1]++;
            }
            if (Arrays.stream(start).anyMatch(count -> count == n)) {
                continue; // every key has the same byte here
            }
            for (int b = 0; b < 256; b++) {
                start[b + 1] += start[b];
            }
            for (int i = 0; i < n; i++) {
                int to = start[(int) (keys[i] >>> shift & 0xff)]++;
                keysTo[to] = keys[i];
                orderTo[to] = order[i];
            }
            System.arraycopy(keysTo, 0, keys, 0, n);
            System.arraycopy(orderTo, 0, order, 0, n);
        }
    }
}
