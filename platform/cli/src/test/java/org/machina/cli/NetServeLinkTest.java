package org.machina.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class NetServeLinkTest {
    @Test
    void optionStringLikeQemu() {
        Map<String, String> m = NetServeLink.options("user,id=n0,net=10.0.2.0/24,hostfwd=tcp::1-:2,hostfwd=udp::3-:4,hostname=a,,b");
        assertEquals("10.0.2.0/24", m.get("net"));
        assertEquals("tcp::1-:2\nudp::3-:4", m.get("hostfwd"));
        assertEquals("a,b", m.get("hostname"));
        assertFalse(m.containsKey("id"));
        assertEquals(Map.of(), NetServeLink.options(""));
        assertThrows(CliException.class, () -> NetServeLink.options("restrict"));
    }
}
