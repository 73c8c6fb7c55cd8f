package dev.calicorr.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.calicorr.core.plugin.ControllerPlugin;
import java.util.List;
import org.junit.jupiter.api.Test;

class PluginDiscoveryTest {

    @Test
    void aPluginListedInMetaInfServicesIsFoundWithoutAnyChangeToCore() {
        List<ControllerPlugin<?>> plugins = Host.discoverPlugins();
        assertThat(plugins).extracting(ControllerPlugin::name).contains(RecordingPlugin.NAME);
        assertThat(plugins).filteredOn(p -> p.name().equals(RecordingPlugin.NAME))
                .singleElement().isInstanceOf(RecordingPlugin.class);
    }
}
