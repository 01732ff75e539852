package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.machina.net.user.api.NetStandalone;

/** The standalone server in QEMU's -netdev stream framing, on TCP and on a Unix socket. */
@org.junit.jupiter.api.Timeout(60)
class StreamServerTest {
    private static byte[] roundTrip(DataOutputStream out, DataInputStream in, byte[] frame) throws Exception {
        out.writeInt(frame.length);
        out.write(frame);
        out.flush();
        int len = in.readInt();
        byte[] f = new byte[len];
        in.readFully(f);
        return f;
    }

    @Test
    void arpOverTcpFraming() throws Exception {
        try (StreamServer s = StreamServer.start(new NetStandalone.Options(Map.of(), new InetSocketAddress("127.0.0.1", 0)));
                Socket c = new Socket()) {
            c.connect(s.address());
            DataOutputStream out = new DataOutputStream(c.getOutputStream());
            DataInputStream in = new DataInputStream(c.getInputStream());
            byte[] reply = roundTrip(out, in, Wire.arpRequest(Wire.GUEST, Wire.GW));
            assertEquals(0x0806, Wire.u16(reply, 12));
            assertArrayEquals(Wire.GUEST_MAC, Arrays.copyOf(reply, 6));
            byte[] echo = roundTrip(out, in, Wire.ip(Wire.GUEST, Wire.GW, 1, Wire.icmpEcho(3, 4, "ping".getBytes())));
            assertEquals(0, echo[34], "echo reply");
        }
    }

    @Test
    void unixSocketAndAReplacingClient() throws Exception {
        Path dir = Files.createTempDirectory("netserve");
        Path sock = dir.resolve("net.sock");
        try (StreamServer s = StreamServer.start(new NetStandalone.Options(Map.of(), UnixDomainSocketAddress.of(sock)))) {
            for (int round = 0; round < 2; round++) {
                try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
                    DataOutputStream out = new DataOutputStream(Channels.newOutputStream(c));
                    DataInputStream in = new DataInputStream(Channels.newInputStream(c));
                    byte[] reply = roundTrip(out, in, Wire.arpRequest(Wire.GUEST, Wire.DNS));
                    assertEquals(Wire.DNS, Wire.i32(reply, 28));
                }
            }
        } finally {
            Files.deleteIfExists(sock);
            Files.deleteIfExists(dir);
        }
    }
}
