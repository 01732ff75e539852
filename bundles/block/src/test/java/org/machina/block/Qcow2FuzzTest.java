package org.machina.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.block.BlockNode;

/**
 * Mutated images (random bytes in the metadata clusters) either open and read, or fail with an
 * IOException; never with a runtime exception or an out-of-memory error, and never written to.
 */
class Qcow2FuzzTest {
    @TempDir
    Path dir;

    @Test
    void mutatedMetadataFailsCleanly() throws Exception {
        Tools.need("qemu-img");
        Tools.need("qemu-io");
        Path seed = dir.resolve("seed.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", seed.toString(), "1M");
        Tools.qemuIo(seed, "qcow2", "write -P 0x3 0 20k");
        Tools.qemuIo(seed, "qcow2", "write -c -P 0x4 65536 4k");
        Tools.ok("qemu-img", "snapshot", "-c", "s", seed.toString());
        byte[] orig = Files.readAllBytes(seed);
        Random r = new Random(42);
        Path img = dir.resolve("fuzz.qcow2");
        int opened = 0;
        for (int i = 0; i < 1500; i++) {
            byte[] b = orig.clone();
            int flips = 1 + r.nextInt(4);
            for (int f = 0; f < flips; f++) {
                // metadata lives in the first clusters: header, refcount table/block, L1, L2
                int at = r.nextInt(Math.min(b.length, 6 * 4096));
                b[at] = (byte) (r.nextInt(4) == 0 ? 0xff : r.nextInt(256));
            }
            Files.write(img, b);
            try (BlockNode n = new Qcow2Driver().open("f", img, true, Map.of())) {
                ByteBuffer all = ByteBuffer.allocate((int) Math.min(n.size(), 4 << 20));
                n.read(0, all);
                n.blockStatus(0, all.capacity());
                opened++;
            } catch (IOException expected) {
                if (!expected.getMessage().contains(img.toString()) && !(expected instanceof java.nio.file.NoSuchFileException)) {
                    if (!expected.getMessage().contains("backing")) {
                        fail("mutation " + i + ": error does not name the file: " + expected);
                    }
                }
            } catch (RuntimeException | OutOfMemoryError e) {
                throw new AssertionError("mutation " + i + " crashed the driver", e);
            }
            assertArrayEquals(b, Files.readAllBytes(img), "read-only open wrote to the image");
        }
        System.out.println("fuzz: " + opened + " of 1500 mutated images opened and read");
    }

    @Test
    void writesToMutatedImagesFailCleanly() throws Exception {
        Tools.need("qemu-img");
        Tools.need("qemu-io");
        Path seed = dir.resolve("seed.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", seed.toString(), "1M");
        Tools.qemuIo(seed, "qcow2", "write -P 0x3 0 20k");
        Tools.qemuIo(seed, "qcow2", "write -c -P 0x4 65536 4k");
        byte[] orig = Files.readAllBytes(seed);
        Random r = new Random(43);
        Path img = dir.resolve("fuzzw.qcow2");
        int written = 0;
        for (int i = 0; i < 500; i++) {
            byte[] b = orig.clone();
            for (int f = 0; f < 1 + r.nextInt(3); f++) {
                b[r.nextInt(Math.min(b.length, 6 * 4096))] = (byte) r.nextInt(256);
            }
            Files.write(img, b);
            try (BlockNode n = new Qcow2Driver().open("f", img, false, Map.of())) {
                byte[] d = new byte[10_000];
                for (int w = 0; w < 5; w++) {
                    long off = r.nextInt((int) Math.max(1, Math.min(n.size(), 1 << 20) - d.length));
                    n.write(off, ByteBuffer.wrap(d));
                }
                n.writeZeroes(0, 8192);
                written++;
            } catch (IOException expected) {
                // refused: fine
            } catch (RuntimeException | OutOfMemoryError e) {
                throw new AssertionError("mutation " + i + " crashed the driver on write", e);
            }
        }
        System.out.println("fuzz: wrote to " + written + " of 500 mutated images");
    }
}
