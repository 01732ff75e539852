package org.machina.chardev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EscapeFilterTest {
    private final ByteArrayOutputStream messages = new ByteArrayOutputStream();
    private final AtomicInteger exits = new AtomicInteger();
    private final EscapeFilter filter = new EscapeFilter(new PrintStream(messages, true), exits::incrementAndGet);

    private String run(String input) {
        byte[] buf = input.getBytes(StandardCharsets.ISO_8859_1);
        int n = filter.filter(buf, buf.length);
        return new String(buf, 0, n, StandardCharsets.ISO_8859_1);
    }

    @Test
    void ordinaryBytesAndCtrlCPassThrough() {
        assertEquals("ls -l\r\u0003", run("ls -l\r\u0003"));
        assertEquals(0, exits.get());
    }

    @Test
    void ctrlAxExitsAndIsNotSentToTheGuest() {
        assertEquals("ab", run("a\u0001xb"));
        assertEquals(1, exits.get());
        assertTrue(messages.toString().contains("terminated by Ctrl-A x"));
    }

    @Test
    void escapeSplitAcrossReadsAndDoubledCtrlA() {
        assertEquals("a", run("a\u0001"));
        assertEquals("\u0001z", run("\u0001z"));
        assertEquals("", run("\u0001h"));
        assertTrue(messages.toString().contains("C-a x"), "help printed");
        assertEquals("q", run("\u0001?q".replace("?", "k")), "unknown escapes are dropped");
        assertEquals(0, exits.get());
    }
}
