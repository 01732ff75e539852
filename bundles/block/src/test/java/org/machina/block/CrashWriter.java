package org.machina.block;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.machina.api.block.BlockNode;

/** Child process for {@link Qcow2CrashTest}: writes forever until killed, reporting progress on stdout. */
public final class CrashWriter {
    private CrashWriter() {
    }

    public static void main(String[] args) throws Exception {
        Path img = Path.of(args[0]);
        Random r = new Random(Long.parseLong(args[1]));
        try (BlockNode n = new Qcow2Driver().open("crash", img, false, Map.of())) {
            byte[] data = new byte[300_000];
            for (long i = 0; i < 1_000_000; i++) {
                int len = 1 + r.nextInt(data.length);
                long off = (long) (r.nextDouble() * (n.size() - len));
                r.nextBytes(data);
                n.write(off, ByteBuffer.wrap(data, 0, len));
                System.out.println("w " + i);
                System.out.flush();
            }
        }
    }
}
