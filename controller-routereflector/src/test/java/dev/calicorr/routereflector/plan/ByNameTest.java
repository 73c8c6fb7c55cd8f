package dev.calicorr.routereflector.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

class ByNameTest {
    private record Item(String name, int id) {
    }

    private static void assertSortsLikeStrings(List<String> names) {
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            items.add(new Item(names.get(i), i));
        }
        List<String> expected = new ArrayList<>(names);
        Collections.sort(expected);
        ByName.sort(items, Item::name);
        assertEquals(expected, items.stream().map(Item::name).toList());
        assertEquals(names.size(), items.stream().mapToInt(Item::id).distinct().count(), "every item once");
    }

    private static List<String> shuffled(int n, long seed, IntFunction<String> name) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            names.add(name.apply(i));
        }
        Collections.shuffle(names, new Random(seed));
        return names;
    }

    @Test
    void ec2NamesSortAsStringsAboveAndBelowTheSizeAPlainSortIsUsedFor() {
        IntFunction<String> ec2 = i -> "ip-10-" + (i >>> 16 & 0xff) + "-" + (i >>> 8 & 0xff) + "-" + (i & 0xff) + ".ec2.internal";
        for (int n : new int[] {1, 2, 511, 512, 513, 5000, 100_000}) {
            assertSortsLikeStrings(shuffled(n, n, ec2));
        }
    }

    @Test
    void namesThatTieInTheirFirstCharactersOrArePrefixesOfOthersSortAsStrings() {
        // "node-a-0001" .. : the shared prefix ends early and many names tie on the next eight characters
        assertSortsLikeStrings(shuffled(3000, 7, i -> "gke-prod-pool-" + (i % 3) + "-abcdefgh-" + i));
        // a name that is a prefix of others, and names shorter than the key
        assertSortsLikeStrings(shuffled(2000, 8, i -> "n".repeat(1 + i % 13) + (i % 2 == 0 ? "" : i)));
        // no shared prefix at all, every character of the key used
        assertSortsLikeStrings(shuffled(4000, 9, i -> Integer.toString(i * 7919, 36)));
    }

    @Test
    void namesAfterTheFirstFewSharingLessOfTheirStartSortAsStrings() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            names.add(i < 100 ? "worker-pool-a-" + i : i < 900 ? "worker-" + i : "w" + i);
        }
        assertSortsLikeStrings(names); // in this order: the first names share a longer start than all do
    }

    @Test
    void theNameHashOrderIsTheSameWhateverTheOrderItemsComeIn() {
        List<String> names = shuffled(20_000, 3, i -> "node-" + i);
        names.add("Aa"); // "Aa" and "BB" have the same hash code: ordered by name
        names.add("BB");
        List<Item> items = new ArrayList<>();
        names.forEach(name -> items.add(new Item(name, items.size())));
        List<Item> reversed = new ArrayList<>(items);
        Collections.reverse(reversed);
        ByName.sortByNameHash(items, Item::name);
        ByName.sortByNameHash(reversed, Item::name);
        assertEquals(items, reversed);
        for (int i = 1; i < items.size(); i++) {
            String before = items.get(i - 1).name();
            String after = items.get(i).name();
            int byHash = Integer.compareUnsigned(before.hashCode(), after.hashCode());
            assertEquals(true, byHash < 0 || byHash == 0 && before.compareTo(after) < 0, before + " before " + after);
        }
    }

    @Test
    void randomNamesOfAnyLatin1AndOtherCharactersSortAsStrings() {
        Random random = new Random(42);
        for (int round = 0; round < 20; round++) {
            int n = 500 + random.nextInt(3000);
            char[] alphabet = round % 5 == 0 ? new char[] {'a', 'b', '\u00e9', '\u0100', '-'} : new char[] {'a', 'b', '.', '-', '0'};
            List<String> names = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                StringBuilder name = new StringBuilder(round % 2 == 0 ? "ip-" : "");
                int length = random.nextInt(14);
                for (int c = 0; c < length; c++) {
                    name.append(alphabet[random.nextInt(alphabet.length)]);
                }
                names.add(name.toString());
            }
            assertSortsLikeStrings(names);
        }
    }
}
