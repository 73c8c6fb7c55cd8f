package dev.calicorr.routereflector.plan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The fixed orders the planner puts nodes in, so that a plan does not depend on the order of the
 * snapshot. Sorting 100,000 names by their characters takes 50-90 ms on our machine (two pointer
 * chases and cache misses per comparison), more than the rest of a plan; the hash code a String
 * keeps, radix sorted, takes a few.
 */
final class ByName {
    /** Lists shorter than this, the ones a person reads, are in name order. */
    static final int NAME_ORDER_BELOW = 512;

    private ByName() {
    }

    /**
     * Name order for a short list; name-hash order for a long one (a first plan's moves).
     * {@code hashes[i]} is the hash code of item i's name, from where the caller has it cheapest.
     */
    static <T> void forListing(List<T> items, int[] hashes, Function<T, String> name) {
        if (items.size() < NAME_ORDER_BELOW) {
            items.sort(Comparator.comparing(name));
        } else {
            arrange(items, byNameHash(hashes, i -> name.apply(items.get(i))));
        }
    }

    /**
     * The indexes of items by the hash codes of their names (unsigned), and by name where two are
     * equal: for choices that need the same order whatever the snapshot's order, but no particular one.
     */
    static int[] byNameHash(int[] hashes, IntFunction<String> name) {
        int n = hashes.length;
        long[] keys = new long[n];
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            keys[i] = hashes[i] & 0xffffffffL;
            order[i] = i;
        }
        radixSort(keys, order);
        for (int start = 0; start < n; ) {
            int end = start + 1;
            while (end < n && keys[end] == keys[start]) {
                end++;
            }
            if (end - start > 1) { // equal hash codes: by name
                Integer[] tied = new Integer[end - start];
                for (int i = start; i < end; i++) {
                    tied[i - start] = order[i];
                }
                Arrays.sort(tied, Comparator.comparing(name::apply));
                for (int i = start; i < end; i++) {
                    order[i] = tied[i - start];
                }
            }
            start = end;
        }
        return order;
    }

    /** Puts {@code items} in {@code order} (indexes into the list as it is). */
    static <T> void arrange(List<T> items, int[] order) {
        List<T> arranged = new ArrayList<>(items.size());
        for (int index : order) {
            arranged.add(items.get(index));
        }
        for (int i = 0; i < order.length; i++) {
            items.set(i, arranged.get(i));
        }
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
