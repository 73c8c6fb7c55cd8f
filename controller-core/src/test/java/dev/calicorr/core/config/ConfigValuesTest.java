package dev.calicorr.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigValuesTest {

    @ParameterizedTest
    @CsvSource({"60s,PT1M", "5m,PT5M", "1h30m,PT1H30M", "500ms,PT0.5S", "1.5s,PT1.5S", "0,PT0S"})
    void parsesGoDurations(String text, String expected) throws Exception {
        assertThat(ConfigValues.parseDuration("f", text)).isEqualTo(Duration.parse(expected));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "m", "5x", "5m junk", "-5s"})
    void rejectsWhatIsNotADuration(String text) {
        assertThatThrownBy(() -> ConfigValues.parseDuration("spec.x.removalDelay", text))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("spec.x.removalDelay: ");
    }

    @ParameterizedTest
    @CsvSource({"PT1M,1m", "PT1M30S,1m30s", "PT2H,2h", "PT0.25S,0.25s", "PT0S,0s"})
    void formatsDurationsTheWayTheyAreWritten(String duration, String text) throws Exception {
        assertThat(ConfigValues.formatDuration(Duration.parse(duration))).isEqualTo(text);
        assertThat(ConfigValues.parseDuration("f", text)).isEqualTo(Duration.parse(duration));
    }

    @Test
    void typedReadsNameTheFieldOnAMismatch() throws Exception {
        ConfigValues values = new ConfigValues(Map.of("min", 3.0, "ratio", "high", "list", List.of("a", 1.0)),
                "spec.controllers.routereflector");
        assertThat(values.integer("min")).contains(3);
        assertThat(values.integer("missing")).isEmpty();
        assertThatThrownBy(() -> values.number("ratio"))
                .hasMessage("spec.controllers.routereflector.ratio: must be a number, got 'high'");
        assertThatThrownBy(() -> values.strings("list")).hasMessageStartingWith("spec.controllers.routereflector.list:");
        assertThatThrownBy(() -> new ConfigValues(Map.of("min", 2.5), "s").integer("min"))
                .hasMessageContaining("whole number");
    }
}
