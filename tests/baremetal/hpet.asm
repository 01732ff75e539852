; HPET through its registers (IA-PC HPET 1.0a) at 0xFED00000, 32-bit protected mode, no
; interrupts delivered (IF stays clear): capabilities, the main counter halted and running,
; a write while halted, timer 0 capabilities, a 32-bit-mode comparator, and the status bit of a
; level-triggered one-shot timer set by a match and cleared by writing 1.
; Runs on qemu-system-i386 and Machina alike (BareMetalIT).
%include "lib.inc"
%include "pm.inc"
HPET equ 0xFED00000
PM32_ROM_START
  mov eax, [HPET + 0x000]
  CHECK "gcap-id-low", 0x8086A201          ; rev 1, 3 timers, 64-bit, legacy route capable, 8086
  mov eax, [HPET + 0x004]
  CHECK "gcap-period-fs", 10000000         ; 10 ns: 100 MHz
  mov eax, [HPET + 0x010]
  CHECK "gen-conf-at-reset", 0
  mov ebx, [HPET + 0x0F0]
  mov ecx, 10000
.w1: loop .w1
  mov eax, [HPET + 0x0F0]
  sub eax, ebx
  CHECK "halted-counter-holds", 0
  mov dword [HPET + 0x0F0], 0x1000
  mov dword [HPET + 0x0F4], 0
  mov eax, [HPET + 0x0F0]
  CHECK "counter-written-while-halted", 0x1000
  mov dword [HPET + 0x010], 1              ; ENABLE_CNF
  mov eax, [HPET + 0x010]
  CHECK "gen-conf-enabled", 1
  mov ecx, 10000
.w2: loop .w2
  mov ebx, [HPET + 0x0F0]
  xor eax, eax
  cmp ebx, 0x1000
  seta al
  CHECK "counter-runs-from-written-value", 1
  mov eax, [HPET + 0x100]
  and eax, 0x30
  CHECK "t0-periodic-and-64bit-capable", 0x30
  mov dword [HPET + 0x140], 0x100          ; timer 2: 32-bit mode
  mov dword [HPET + 0x148], 0xFFFFFFF0
  mov eax, [HPET + 0x14C]
  CHECK "t2-32bit-comparator-high-half", 0
  ; timer 2: level-triggered, interrupt enabled, one-shot, 32-bit, match 1 ms from now; as
  ; Linux does, set it again when the counter has passed it already (a preempted emulator)
  mov dword [HPET + 0x140], 0x106
.arm:
  mov eax, [HPET + 0x0F0]
  add eax, 100000
  mov [HPET + 0x148], eax
  sub eax, [HPET + 0x0F0]
  cmp eax, 1000
  jl .arm
  mov ecx, 10000000
.w3: test dword [HPET + 0x020], 4
  jnz .matched
  dec ecx
  jnz .w3
.matched:
  mov eax, [HPET + 0x020]
  and eax, 4
  CHECK "t2-level-status-set-by-match", 4
  mov dword [HPET + 0x020], 4              ; write 1 to clear
  mov eax, [HPET + 0x020]
  and eax, 4
  CHECK "t2-status-cleared-by-writing-1", 0
  mov dword [HPET + 0x140], 0
  mov dword [HPET + 0x010], 0
  call finish_32

  PM32_ROM_END
