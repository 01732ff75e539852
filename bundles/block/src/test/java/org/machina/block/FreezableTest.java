package org.machina.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.block.BlockNode;
import org.machina.api.block.Freezable;

/** Raw and qcow2 nodes freeze themselves: writers keep using the node, the view keeps the old data. */
class FreezableTest {
    @TempDir
    Path dir;

    private static byte[] read(BlockNode n, long off, int len) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(len);
        n.read(off, b);
        return b.array();
    }

    private void check(BlockNode node) throws Exception {
        byte[] a = new byte[300_000];
        Arrays.fill(a, (byte) 0x5a);
        node.write(10_000, ByteBuffer.wrap(a));
        byte[] before = read(node, 0, (int) node.size());
        BlockNode view = ((Freezable) node).freeze("v");
        byte[] b = new byte[200_000];
        Arrays.fill(b, (byte) 0x77);
        node.write(50_000, ByteBuffer.wrap(b));
        node.writeZeroes(400_000, 70_000);
        node.discard(600_000, 131_072);
        assertTrue(view.readOnly());
        assertArrayEquals(before, read(view, 0, (int) view.size()), "view keeps the freeze moment");
        assertArrayEquals(b, read(node, 50_000, b.length), "node has the new data");
        assertTrue(((FrozenView) view).overlayOpenForTest());
        view.close();
        assertFalse(((FrozenView) view).overlayOpenForTest(), "closing the view drops the overlay");
        node.write(0, ByteBuffer.wrap(b)); // no hook left
        assertArrayEquals(b, read(node, 0, b.length));
    }

    @Test
    void rawNode() throws Exception {
        Path f = dir.resolve("d.raw");
        Files.write(f, new byte[1 << 20]);
        try (BlockNode n = BlockImages.open("d", f, "raw", false)) {
            check(n);
        }
    }

    @Test
    void qcow2Node() throws Exception {
        Path f = dir.resolve("d.qcow2");
        try {
            Process p = new ProcessBuilder("qemu-img", "create", "-q", "-f", "qcow2", f.toString(), "1M").inheritIO().start();
            org.junit.jupiter.api.Assumptions.assumeTrue(p.waitFor() == 0, "qemu-img create failed");
        } catch (java.io.IOException e) {
            org.junit.jupiter.api.Assumptions.abort("qemu-img is not installed");
        }
        try (BlockNode n = BlockImages.open("d", f, "qcow2", false)) {
            check(n);
        }
    }
}
