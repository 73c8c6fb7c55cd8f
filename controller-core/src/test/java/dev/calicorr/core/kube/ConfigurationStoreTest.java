package dev.calicorr.core.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.Gson;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigurationStoreTest {
    @Test
    void aSectionAsDecodedGoesBackWithItsWholeNumbersAsIntegers() {
        Gson gson = new Gson();
        @SuppressWarnings("unchecked")
        Map<String, Object> decoded = gson.fromJson("{\"min\":4,\"ratio\":0.25,\"max\":1e3,\"zones\":{\"a\":2},"
                + "\"list\":[1,1.5],\"removalDelay\":\"1s\",\"on\":true}", Map.class);
        assertThat(decoded.get("min")).isEqualTo(4.0); // what a JSON decoder hands over
        assertThat(gson.toJson(ConfigurationStore.asWritten(decoded))).isEqualTo("{\"min\":4,\"ratio\":0.25,"
                + "\"max\":1000,\"zones\":{\"a\":2},\"list\":[1,1.5],\"removalDelay\":\"1s\",\"on\":true}");
    }

    @Test
    void nothingElseChanges() {
        assertThat(ConfigurationStore.asWritten(List.of("a", 2.5, Map.of()))).isEqualTo(List.of("a", 2.5, Map.of()));
        assertThat(ConfigurationStore.asWritten(null)).isNull();
    }
}
