package dev.calicorr.routereflector.plan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ByNameTest {
    private record Item(String name, int id) {
    }

    private static List<Item> items(int n, long seed) {
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            items.add(new Item("ip-10-" + (i >>> 16 & 0xff) + "-" + (i >>> 8 & 0xff) + "-" + (i & 0xff) + ".ec2.internal", i));
        }
        items.add(new Item("Aa", -1)); // "Aa" and "BB" have the same hash code
        items.add(new Item("BB", -2));
        Collections.shuffle(items, new Random(seed));
        return items;
    }

    private static int[] hashes(List<Item> items) {
        return items.stream().mapToInt(item -> item.name().hashCode()).toArray();
    }

    private static void byNameHash(List<Item> items) {
        ByName.arrange(items, ByName.byNameHash(hashes(items), i -> items.get(i).name()));
    }

    private static boolean inHashOrder(Item before, Item after) {
        int byHash = Integer.compareUnsigned(before.name().hashCode(), after.name().hashCode());
        return byHash < 0 || byHash == 0 && before.name().compareTo(after.name()) < 0;
    }

    @Test
    void theNameHashOrderIsByHashCodeThenNameWhateverTheOrderItemsComeIn() {
        for (int n : new int[] {0, 1, 300, 20_000}) {
            List<Item> once = items(n, 1);
            List<Item> again = items(n, 2);
            byNameHash(once);
            byNameHash(again);
            assertThat(once).isEqualTo(again).hasSize(n + 2);
            for (int i = 1; i < once.size(); i++) {
                assertThat(inHashOrder(once.get(i - 1), once.get(i))).as(once.get(i - 1) + " before " + once.get(i)).isTrue();
            }
        }
    }

    @Test
    void aShortListIsListedByNameALongOneByNameHash() {
        List<Item> shortList = items(ByName.NAME_ORDER_BELOW - 3, 3);
        ByName.forListing(shortList, hashes(shortList), Item::name);
        assertThat(shortList).isSortedAccordingTo(Comparator.comparing(Item::name));

        List<Item> longList = items(ByName.NAME_ORDER_BELOW, 4);
        List<Item> byHash = new ArrayList<>(longList);
        byNameHash(byHash);
        ByName.forListing(longList, hashes(longList), Item::name);
        assertThat(longList).isEqualTo(byHash);
    }
}
