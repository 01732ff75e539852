package org.machina.host.posix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** The real C library through java.lang.foreign: results, errno and its text, on files, pipes and a loopback socket. */
class FfmLibcTest {
    private final Libc libc = FfmLibc.get();

    @Test
    void structLayouts() {
        assertEquals(8, FfmLibc.POLLFD.byteSize());
        assertEquals(16, FfmLibc.SOCKADDR_IN.byteSize());
    }

    @Test
    void errnoIsCapturedWithTheLibrarysText(@TempDir Path dir) {
        ErrnoException e = assertThrows(ErrnoException.class, () -> libc.open(dir.resolve("none").toString(), Libc.O_RDWR));
        assertEquals(ErrnoException.ENOENT, e.errno());
        assertEquals("open: ENOENT: " + libc.strerror(ErrnoException.ENOENT) + " (errno 2)", e.getMessage());
        assertTrue(e.getMessage().contains("No such file"), e.getMessage());
        ErrnoException d = assertThrows(ErrnoException.class, () -> libc.open(dir.toString(), Libc.O_RDWR));
        assertEquals(ErrnoException.EISDIR, d.errno());
    }

    @Test
    void ioctlReadPollAndABadDescriptor() throws Exception {
        int fd = libc.open("/dev/null", Libc.O_RDWR | Libc.O_CLOEXEC);
        try (Arena a = Arena.ofConfined()) {
            ErrnoException e = assertThrows(ErrnoException.class, () -> libc.ioctl(fd, 0x80685600L, a.allocate(104), "VIDIOC_QUERYCAP"));
            assertEquals(ErrnoException.ENOTTY, e.errno());
            assertTrue(e.getMessage().startsWith("VIDIOC_QUERYCAP: ENOTTY: ") && e.getMessage().endsWith("(errno 25)"), e.getMessage());
            assertEquals(0, libc.read(fd, a.allocate(64)), "end of file");
            assertEquals(5, libc.write(fd, a.allocate(5)));
            assertTrue((libc.poll(fd, Libc.POLLIN, 0) & Libc.POLLIN) != 0, "/dev/null is always readable");
        } finally {
            libc.close(fd);
        }
        ErrnoException bad = assertThrows(ErrnoException.class, () -> libc.ioctl(fd, 0, MemorySegment.NULL));
        assertEquals(ErrnoException.EBADF, bad.errno());
        assertTrue((libc.poll(fd, Libc.POLLIN, 0) & Libc.POLLNVAL) != 0, "a closed descriptor polls POLLNVAL");
    }

    @Test
    void mmapOfAFileAndAnUnalignedOffset(@TempDir Path dir) throws Exception {
        byte[] page = new byte[8192];
        for (int i = 0; i < page.length; i++) {
            page[i] = (byte) (i * 13);
        }
        Path f = Files.write(dir.resolve("pages"), page);
        int fd = libc.open(f.toString(), Libc.O_RDWR | Libc.O_CLOEXEC);
        try {
            MemorySegment m = libc.mmap(fd, 4096, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, 4096);
            assertEquals(4096, m.byteSize());
            assertEquals(page[4096], m.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(page[8191], m.get(ValueLayout.JAVA_BYTE, 4095));
            m.set(ValueLayout.JAVA_BYTE, 2, (byte) 99);
            libc.munmap(m);
            ErrnoException e = assertThrows(ErrnoException.class,
                    () -> libc.mmap(fd, 4096, Libc.PROT_READ, Libc.MAP_SHARED, 1));
            assertEquals(ErrnoException.EINVAL, e.errno(), "an offset that is not page aligned");
        } finally {
            libc.close(fd);
        }
        assertEquals(99, Files.readAllBytes(f)[4098], "the store through the shared mapping reached the file");
    }

    @Test
    void pipeWriteReadAndPollOfSeveral() throws Exception {
        int[] p = libc.pipe(Libc.O_CLOEXEC | Libc.O_NONBLOCK);
        int[] q = libc.pipe(Libc.O_CLOEXEC | Libc.O_NONBLOCK);
        try (Arena a = Arena.ofConfined()) {
            short[] rev = new short[2];
            assertEquals(0, libc.poll(new int[] {p[0], q[0]}, Libc.POLLIN, rev, 0), "nothing written yet");
            ErrnoException e = assertThrows(ErrnoException.class, () -> libc.read(p[0], a.allocate(8)));
            assertEquals(ErrnoException.EAGAIN, e.errno(), "a non-blocking empty pipe");
            assertEquals(3, libc.write(q[1], a.allocateFrom("abc", StandardCharsets.US_ASCII).asSlice(0, 3)));
            assertEquals(1, libc.poll(new int[] {p[0], q[0]}, Libc.POLLIN, rev, 1000));
            assertEquals(0, rev[0]);
            assertEquals(Libc.POLLIN, rev[1]);
            MemorySegment buf = a.allocate(8);
            assertEquals(3, libc.read(q[0], buf));
            assertEquals("abc", buf.getString(0, StandardCharsets.US_ASCII));
        } finally {
            for (int fd : new int[] {p[0], p[1], q[0], q[1]}) {
                libc.close(fd);
            }
        }
    }

    @Test
    void udpSendToAndRecvFromOnLoopback() throws Exception {
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        try (DatagramChannel peer = DatagramChannel.open(); Arena a = Arena.ofConfined()) {
            peer.bind(new InetSocketAddress(lo, 0));
            int fd = libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
            try {
                MemorySegment buf = a.allocate(64);
                assertEquals(ErrnoException.EAGAIN, assertThrows(ErrnoException.class, () -> libc.recvFrom(fd, buf, 0)).errno());
                byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
                MemorySegment out = a.allocate(hello.length);
                out.copyFrom(MemorySegment.ofArray(hello));
                assertEquals(5, libc.sendTo(fd, out, 0, (InetSocketAddress) peer.getLocalAddress()));
                ByteBuffer got = ByteBuffer.allocate(64);
                InetSocketAddress from = (InetSocketAddress) peer.receive(got);
                assertArrayEquals(hello, java.util.Arrays.copyOf(got.array(), got.position()));
                peer.send(ByteBuffer.wrap(new byte[] {1, 2, 3}), from);
                assertTrue((libc.poll(fd, Libc.POLLIN, 5000) & Libc.POLLIN) != 0);
                Libc.Received r = libc.recvFrom(fd, buf, 0);
                assertEquals(3, r.length());
                assertEquals(peer.getLocalAddress(), r.from());
                assertEquals(3, buf.get(ValueLayout.JAVA_BYTE, 2));
                ErrnoException v6 = assertThrows(ErrnoException.class,
                        () -> libc.sendTo(fd, out, 0, new InetSocketAddress(InetAddress.getByName("::1"), 9)));
                assertEquals(ErrnoException.EAFNOSUPPORT, v6.errno());
            } finally {
                libc.close(fd);
            }
        }
    }

    /**
     * ip(7)'s error queue on loopback only: a UDP socket with IP_RECVERR sends to a 127.0.0.1 port
     * nothing listens on; the kernel's ICMP port unreachable is queued, and recvmsg(MSG_ERRQUEUE)
     * gives its origin, type, code, errno, the reporter and where the datagram went, and the datagram's data.
     */
    @ParameterizedTest(name = "IPv6 {0}")
    @ValueSource(booleans = {false, true})
        void anIcmpErrorIsReadFromTheErrorQueue(boolean v6) throws Exception {
        String loopback = v6 ? "::1" : "127.0.0.1";
        int port;
        try (DatagramChannel closed = DatagramChannel.open()) {
            closed.bind(new InetSocketAddress(loopback, 0));
            port = ((InetSocketAddress) closed.getLocalAddress()).getPort();
        }
        int fd = libc.socket(v6 ? Libc.AF_INET6 : Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK, 17);
        try (Arena a = Arena.ofConfined()) {
            libc.setsockopt(fd, v6 ? Libc.SOL_IPV6 : Libc.SOL_IP, v6 ? Libc.IPV6_RECVERR : Libc.IP_RECVERR, 1);
            MemorySegment buf = a.allocate(256);
            assertEquals(ErrnoException.EAGAIN, assertThrows(ErrnoException.class, () -> libc.recvError(fd, buf)).errno(), "none queued yet");
            byte[] data = "is anyone there".getBytes(StandardCharsets.US_ASCII);
            MemorySegment out = a.allocate(data.length);
            MemorySegment.copy(data, 0, out, ValueLayout.JAVA_BYTE, 0, data.length);
            InetSocketAddress to = new InetSocketAddress(InetAddress.getByName(loopback), port);
            libc.sendTo(fd, out, 0, to);
            assertTrue((libc.poll(fd, Libc.POLLIN, 5000) & Libc.POLLERR) != 0, "an error is queued");
            Libc.QueuedError e = libc.recvError(fd, buf);
            assertEquals(v6 ? Libc.SO_EE_ORIGIN_ICMP6 : Libc.SO_EE_ORIGIN_ICMP, e.origin());
            assertEquals(v6 ? 1 : 3, e.type(), "destination unreachable");
            assertEquals(v6 ? 4 : 3, e.code(), "port unreachable");
            assertEquals(111, e.errno(), "ECONNREFUSED");
            assertEquals(InetAddress.getByName(loopback), e.offender(), "the reporter");
            assertEquals(to, e.to(), "where the datagram went");
            assertEquals(data.length, e.length());
            assertArrayEquals(data, buf.asSlice(0, data.length).toArray(ValueLayout.JAVA_BYTE), "the datagram's data");
            assertEquals(ErrnoException.EAGAIN, assertThrows(ErrnoException.class, () -> libc.recvError(fd, buf)).errno(), "read once");
        } finally {
            libc.close(fd);
        }
    }

    @Test
    void aSimulatedKernelAnswersENOSYSForCallsItDoesNotImplement() {
        Libc none = fd -> { };   // a simulated kernel that implements close(2) only
        ErrnoException e = assertThrows(ErrnoException.class, () -> none.socket(Libc.AF_INET, Libc.SOCK_RAW, Libc.IPPROTO_ICMP));
        assertEquals("socket: ENOSYS (errno 38)", e.getMessage());
        assertEquals("VIDIOC_STREAMON: ENOSYS (errno 38)",
                assertThrows(ErrnoException.class, () -> none.ioctl(3, 1, MemorySegment.NULL, "VIDIOC_STREAMON")).getMessage());
        assertEquals(ErrnoException.ENOSYS, assertThrows(ErrnoException.class, () -> none.poll(3, Libc.POLLIN, 0)).errno(),
                "poll of one descriptor goes through poll of several");
    }
}
