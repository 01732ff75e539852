import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drives hot-swaps over QMP for scripts/bench/hotswap-bench.sh: updates BUNDLE N times,
 * alternating between two jars, and prints the guest-visible pause of each swap (the
 * X_MACHINA_BUNDLE_SWAPPED event's pause-us) and of the whole QMP command, then the median and
 * worst. Usage: java HotSwapBench.java SOCKET BUNDLE N JAR_A JAR_B
 */
public final class HotSwapBench {
    private static final Pattern PAUSE = Pattern.compile("\"pause-us\":(\\d+)");

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: java HotSwapBench.java SOCKET BUNDLE N JAR_A JAR_B");
            System.exit(2);
        }
        int n = Integer.parseInt(args[2]);
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(args[0]));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(ch);
            in.readLine(); // greeting
            send(out, "{\"execute\":\"qmp_capabilities\"}");
            in.readLine();
            List<Long> pauses = new ArrayList<>();
            List<Long> commands = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String jar = args[3 + (i % 2)];
                long t0 = System.nanoTime();
                send(out, "{\"execute\":\"x-machina-bundle-update\",\"arguments\":{\"bundle\":\"" + args[1]
                        + "\",\"location\":\"" + jar + "\"}}");
                long pause = -1;
                for (String line = in.readLine(); ; line = in.readLine()) {
                    if (line == null) {
                        throw new IOException("the QMP connection closed");
                    }
                    Matcher m = PAUSE.matcher(line);
                    if (line.contains("X_MACHINA_BUNDLE_SWAPPED") && m.find()) {
                        pause = Long.parseLong(m.group(1));
                    } else if (line.contains("\"error\"")) {
                        throw new IOException("swap " + (i + 1) + " failed: " + line);
                    } else if (line.contains("\"return\"")) {
                        break;
                    }
                }
                long command = (System.nanoTime() - t0) / 1000;
                if (pause < 0) {
                    throw new IOException("swap " + (i + 1) + ": no X_MACHINA_BUNDLE_SWAPPED event before the reply");
                }
                pauses.add(pause);
                commands.add(command);
                System.out.printf("swap %3d: guest paused %8.1f ms, QMP command %8.1f ms%n", i + 1, pause / 1e3, command / 1e3);
            }
            System.out.printf("guest pause: median %.1f ms, worst %.1f ms over %d swaps of %s%n",
                    median(pauses) / 1e3, Collections.max(pauses) / 1e3, n, args[1]);
            System.out.printf("QMP command: median %.1f ms, worst %.1f ms%n", median(commands) / 1e3, Collections.max(commands) / 1e3);
        }
    }

    private static void send(OutputStream out, String json) throws IOException {
        out.write((json + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static double median(List<Long> values) {
        List<Long> s = new ArrayList<>(values);
        Collections.sort(s);
        int k = s.size();
        return k % 2 == 1 ? s.get(k / 2) : (s.get(k / 2 - 1) + s.get(k / 2)) / 2.0;
    }
}
