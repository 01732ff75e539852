package org.machina.runtime.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.PropertySpec;
import org.machina.api.machine.DescriptionException;

class ConfigValidatorTest {
    private final List<PropertySpec> specs = List.of(
            PropertySpec.integer("iobase", 0x3f8L, "port"),
            PropertySpec.bool("fifo", true, "fifo"),
            PropertySpec.oneOf("mode", "a", "mode", "a", "b"),
            PropertySpec.string("path", null, "file"),
            PropertySpec.chardev("chardev", "backend"));

    @Test
    void fillsDefaultsAndNormalisesBooleans() {
        DeviceConfig c = ConfigValidator.validate("$.devices[0]", "t", "d", specs, Map.of("path", "/x", "fifo", "off"));
        assertEquals(0x3f8, c.integer("iobase"));
        assertEquals("false", c.string("fifo"));
        assertEquals("a", c.string("mode"));
        assertNull(c.string("chardev"));
        assertEquals(0x2f8, ConfigValidator.validate("p", "t", "d", specs, Map.of("path", "/x", "iobase", "0x2f8")).integer("iobase"));
    }

    @Test
    void errorsNameThePropertyAndWhatIsAccepted() {
        DescriptionException e = assertThrows(DescriptionException.class,
                () -> ConfigValidator.validate("$.devices[3]", "t", "d", specs, Map.of("path", "p", "mode", "c")));
        assertEquals("$.devices[3].mode", e.path());
        assertTrue(e.getMessage().contains("one of a, b"), e.getMessage());
        e = assertThrows(DescriptionException.class, () -> ConfigValidator.validate("$", "t", "d", specs, Map.of()));
        assertEquals("$.path", e.path());
        e = assertThrows(DescriptionException.class,
                () -> ConfigValidator.validate("$", "t", "d", specs, Map.of("path", "p", "speed", "1")));
        assertTrue(e.getMessage().contains("accepted: iobase, fifo, mode, path, chardev"), e.getMessage());
        e = assertThrows(DescriptionException.class,
                () -> ConfigValidator.validate("$", "t", "d", specs, Map.of("path", "p", "fifo", "maybe")));
        assertEquals("$.fifo", e.path());
    }
}
