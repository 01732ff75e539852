package org.machina.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.block.BlockNode;
import org.machina.block.BlockImages;
import org.machina.nbd.api.NbdStandalone.Io;

/** Which file of a qcow2 chain qemu-img made holds a range: 1 the top, 2 its backing file, 0 none; through -s and -o. */
class AllocationDepthTest {
    @TempDir
    Path dir;

    @Test
    void depthsOfAChainAnOverlayAndAnOffset() throws Exception {
        Tools.need("qemu-img", "qemu-io");
        Path base = dir.resolve("base.qcow2");
        Path top = dir.resolve("top.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", base.toString(), "4M");
        Tools.qemuIo(base, "qcow2", "write -P 1 0 1M");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "qcow2", top.toString());
        Tools.qemuIo(top, "qcow2", "write -P 2 512k 64k");
        Tools.qemuIo(top, "qcow2", "write -z 2M 64k");
        try (BlockNode chain = BlockImages.open("t", top, "qcow2", true)) {
            assertArrayEquals(new long[] {512 << 10, 2}, AllocationDepth.at(chain, 0, 4 << 20), "backing data");
            assertArrayEquals(new long[] {64 << 10, 1}, AllocationDepth.at(chain, 512 << 10, 4 << 20), "written in the top");
            assertArrayEquals(new long[] {(1 << 20) - (576 << 10), 2}, AllocationDepth.at(chain, 576 << 10, 4 << 20));
            assertArrayEquals(new long[] {1 << 20, 0}, AllocationDepth.at(chain, 1 << 20, 1 << 20), "in no file");
            assertArrayEquals(new long[] {64 << 10, 1}, AllocationDepth.at(chain, 2 << 20, 1 << 20), "zero cluster: held");
            ScratchOverlay o = new ScratchOverlay("o", chain);
            o.write(3 << 20, ByteBuffer.allocate(10));
            assertArrayEquals(new long[] {ScratchOverlay.CHUNK, 1}, AllocationDepth.at(o, 3 << 20, 1 << 20), "in the overlay");
            assertArrayEquals(new long[] {64 << 10, 2}, AllocationDepth.at(o, 512 << 10, 1 << 20), "the top, below the overlay");
            assertArrayEquals(new long[] {512 << 10, 3}, AllocationDepth.at(o, 0, 1 << 20));
            TunedNode shifted = new TunedNode(chain, 512 << 10, Io.DEFAULT);
            assertArrayEquals(new long[] {64 << 10, 1}, AllocationDepth.at(shifted, 0, 1 << 20), "-o shifts the query");
            o.close();
        }
    }
}
