package org.machina.devices.firewire.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where gcc and the kernel's uAPI headers (Debian's linux-libc-dev) are installed, compiles a probe
 * that prints the ioctl numbers, sizeof and offsetof of the structs from
 * {@code <linux/firewire-cdev.h>} itself, and compares them with {@link CdevAbi}. Skipped (not
 * passed) where either is missing.
 */
class CdevHeaderProbeTest {
    private static final String PROBE = """
            #include <stdio.h>
            #include <stddef.h>
            #include <linux/firewire-cdev.h>
            #define P(n, v) printf("%s=%lu\\n", n, (unsigned long)(v))
            int main(void) {
              P("IOC_GET_INFO", FW_CDEV_IOC_GET_INFO);
              P("IOC_SEND_REQUEST", FW_CDEV_IOC_SEND_REQUEST);
              P("IOC_ALLOCATE", FW_CDEV_IOC_ALLOCATE);
              P("IOC_DEALLOCATE", FW_CDEV_IOC_DEALLOCATE);
              P("IOC_SEND_RESPONSE", FW_CDEV_IOC_SEND_RESPONSE);
              P("IOC_INITIATE_BUS_RESET", FW_CDEV_IOC_INITIATE_BUS_RESET);
              P("IOC_GET_SPEED", FW_CDEV_IOC_GET_SPEED);
              P("GET_INFO_SIZE", sizeof(struct fw_cdev_get_info));
              P("SEND_REQUEST_SIZE", sizeof(struct fw_cdev_send_request));
              P("SEND_RESPONSE_SIZE", sizeof(struct fw_cdev_send_response));
              P("ALLOCATE_SIZE", sizeof(struct fw_cdev_allocate));
              P("EVENT_BUS_RESET_SIZE", sizeof(struct fw_cdev_event_bus_reset));
              P("EVENT_RESPONSE_DATA", offsetof(struct fw_cdev_event_response, data));
              P("EVENT_REQUEST_DATA", offsetof(struct fw_cdev_event_request, data));
              P("EVENT_REQUEST2_DATA", offsetof(struct fw_cdev_event_request2, data));
              P("get_info.card", offsetof(struct fw_cdev_get_info, card));
              P("send_request.data", offsetof(struct fw_cdev_send_request, data));
              P("send_request.generation", offsetof(struct fw_cdev_send_request, generation));
              P("send_response.handle", offsetof(struct fw_cdev_send_response, handle));
              P("allocate.handle", offsetof(struct fw_cdev_allocate, handle));
              P("allocate.region_end", offsetof(struct fw_cdev_allocate, region_end));
              P("request2.generation", offsetof(struct fw_cdev_event_request2, generation));
              P("request2.handle", offsetof(struct fw_cdev_event_request2, handle));
              P("request2.length", offsetof(struct fw_cdev_event_request2, length));
              P("response.length", offsetof(struct fw_cdev_event_response, length));
              P("bus_reset.generation", offsetof(struct fw_cdev_event_bus_reset, generation));
              P("EVENT_REQUEST2", FW_CDEV_EVENT_REQUEST2);
              return 0;
            }
            """;

    @Test
    void theCompilersLayoutsAreCdevAbis(@TempDir Path dir) throws Exception {
        assumeTrue(Files.exists(Path.of("/usr/include/linux/firewire-cdev.h")), "no linux/firewire-cdev.h installed");
        Path src = dir.resolve("probe.c");
        Path exe = dir.resolve("probe");
        Files.writeString(src, PROBE);
        assumeTrue(run(dir, "gcc", "-o", exe.toString(), src.toString()) != null, "no gcc");
        String out = run(dir, exe.toString());
        Map<String, Long> v = new HashMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                v.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1).trim()));
            }
        }
        assertEquals(v.get("IOC_GET_INFO"), CdevAbi.IOC_GET_INFO);
        assertEquals(v.get("IOC_SEND_REQUEST"), CdevAbi.IOC_SEND_REQUEST);
        assertEquals(v.get("IOC_ALLOCATE"), CdevAbi.IOC_ALLOCATE);
        assertEquals(v.get("IOC_DEALLOCATE"), CdevAbi.IOC_DEALLOCATE);
        assertEquals(v.get("IOC_SEND_RESPONSE"), CdevAbi.IOC_SEND_RESPONSE);
        assertEquals(v.get("IOC_INITIATE_BUS_RESET"), CdevAbi.IOC_INITIATE_BUS_RESET);
        assertEquals(v.get("IOC_GET_SPEED"), CdevAbi.IOC_GET_SPEED);
        assertEquals(v.get("GET_INFO_SIZE"), CdevAbi.GET_INFO_SIZE);
        assertEquals(v.get("SEND_REQUEST_SIZE"), CdevAbi.SEND_REQUEST_SIZE);
        assertEquals(v.get("SEND_RESPONSE_SIZE"), CdevAbi.SEND_RESPONSE_SIZE);
        assertEquals(v.get("ALLOCATE_SIZE"), CdevAbi.ALLOCATE_SIZE);
        assertEquals(v.get("EVENT_BUS_RESET_SIZE"), CdevAbi.EVENT_BUS_RESET_SIZE);
        assertEquals(v.get("EVENT_RESPONSE_DATA"), CdevAbi.EVENT_RESPONSE_DATA);
        assertEquals(v.get("EVENT_REQUEST_DATA"), CdevAbi.EVENT_REQUEST_DATA);
        assertEquals(v.get("EVENT_REQUEST2_DATA"), CdevAbi.EVENT_REQUEST2_DATA);
        // the field offsets the encoders and the parser use
        assertEquals(32L, v.get("get_info.card"));
        assertEquals(24L, v.get("send_request.data"));
        assertEquals(32L, v.get("send_request.generation"));
        assertEquals(16L, v.get("send_response.handle"));
        assertEquals(20L, v.get("allocate.handle"));
        assertEquals(24L, v.get("allocate.region_end"));
        assertEquals(36L, v.get("request2.generation"));
        assertEquals(40L, v.get("request2.handle"));
        assertEquals(44L, v.get("request2.length"));
        assertEquals(16L, v.get("response.length"));
        assertEquals(32L, v.get("bus_reset.generation"));
        assertEquals((long) CdevAbi.EVENT_REQUEST2, v.get("EVENT_REQUEST2"));
    }

    /** Runs a command; its stdout, or null when it cannot be started or fails. */
    private static String run(Path dir, String... cmd) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return null;
            }
            return new String(out, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return null;
        }
    }
}
