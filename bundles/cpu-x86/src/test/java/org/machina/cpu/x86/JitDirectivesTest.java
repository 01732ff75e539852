package org.machina.cpu.x86;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The C1-only directive for translated blocks is accepted by the JVM the tests run on (HotSpot). */
class JitDirectivesTest {
    @Test
    void theJvmTakesTheDirective() {
        assertTrue(JitDirectives.install(), "the DiagnosticCommand MBean added the directive");
        assertTrue(JitDirectives.install(), "a second call finds it in place");
    }
}
