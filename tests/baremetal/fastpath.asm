; Device access benchmark ROM (32-bit protected mode, scripts/bench/fastpath-bench.sh): COUNT
; accesses of one KIND in a 3-instruction loop, then "RESULT kind first last" to port 0xE9.
;   KIND=1  IN EAX, DX from the ACPI PM timer (port 0x608 on the pc board)
;   KIND=2  MOV EAX, [0xFED000F0]: the HPET main counter (enabled first)
;   KIND=3  MOV EAX, [RAM]: the same loop on plain RAM, the baseline to subtract
;   KIND=5  MOV EAX, [0xFED00020]: the HPET's GINTR_STA, a served register that reads no clock
;   KIND=4  COUNT sectors read by PIO from the primary IDE disk (-drive ...,if=ide,index=0, at least
;           2048 sectors): READ SECTORS of up to 256 sectors from LBA 0, 256, ... 1792, 0, ...;
;           per sector a status poll for DRQ and REP INSW of 256 words (scripts/bench/ide-pio-bench.sh)
;   KIND=6  IN AL, DX from the primary IDE status register (port 0x1F7; a disk on the channel)
;   KIND=7  IN AL, DX from the primary IDE alternate status register (port 0x3F6)
;   KIND=8  COUNT / 256 sectors (at least 1) read as KIND=4 but each by 256 single IN AX, DX from
;           the data port (0x1F0), 255 of them in the 3-instruction loop: COUNT data-port accesses
;           (COUNT a multiple of 256) plus per sector the READ SECTORS share and the DRQ poll
; WARMUP (default 0) accesses of the same kind run first, untimed (for KIND=4 and 8 WARMUP / 256
; sectors): the emulator's own warm-up (a JIT compiling its interpreter or the guest's loop) is
; then out of the timed COUNT.
; first/last are the values read by the first and the last timed access (a device that counts
; shows them differ; for KIND=4 the first dword of the first and of the last sector, for KIND=8
; its first word); then the TSC cycles
; the COUNT accesses took (high, low dword), which on Machina (TSC at 1 GHz of guest time, guest
; time = host time while running less host stalls of the machine thread) are nanoseconds.
%include "lib.inc"
%include "pm.inc"
%ifndef COUNT
%define COUNT 1000000
%endif
%ifndef KIND
%define KIND 1
%endif
%ifndef WARMUP
%define WARMUP 0
%endif
%if KIND == 8
%assign SECTORS COUNT / 256
%if SECTORS == 0
%assign SECTORS 1
%endif
%assign WARM_SECTORS WARMUP / 256
%else
%assign SECTORS COUNT
%assign WARM_SECTORS WARMUP
%endif
PM_TMR    equ 0x608
HPET      equ 0xFED00000
RAMWORD   equ 0x600
FIRST     equ 0x604
TSC0      equ 0x608                       ; qword
SECBUF    equ 0x10000
PM32_ROM_START
%if KIND == 4 || KIND == 6 || KIND == 7 || KIND == 8
  mov dx, 0x3F6
  mov al, 2                               ; nIEN: the ROM polls
  out dx, al
  mov dword [FIRST], 0xFFFFFFFF
%endif
  mov dword [HPET + 0x10], 1              ; GEN_CONF.ENABLE_CNF: the counter runs
  mov dword [RAMWORD], 0x12345678
%if WARM_SECTORS > 0
  mov ecx, WARM_SECTORS
  call accesses
  mov dword [FIRST], 0xFFFFFFFF           ; the timed run's first access sets it again
%endif
  rdtsc
  mov [TSC0], eax
  mov [TSC0 + 4], edx
  mov ecx, SECTORS
  call accesses
  mov ebx, eax
  rdtsc
  sub eax, [TSC0]
  sbb edx, [TSC0 + 4]
  mov [TSC0], eax
  mov [TSC0 + 4], edx
  mov esi, s_result
  call puts_32
  mov eax, KIND
  call hex_32
  mov al, ' '
  call putc_32
  mov eax, [FIRST]
  call hex_32
  mov al, ' '
  call putc_32
  mov eax, ebx
  call hex_32
  mov al, ' '
  call putc_32
  mov eax, [TSC0 + 4]
  call hex_32
  mov al, ' '
  call putc_32
  mov eax, [TSC0]
  call hex_32
  mov al, 10
  call putc_32
  call finish_32
s_result: db "RESULT ", 0

; ECX accesses (KIND=4 and 8: sectors) of the kind; returns the last value read in EAX and sets
; [FIRST] from the first (KIND=4 and 8: when it holds 0xFFFFFFFF)
accesses:
  mov edx, PM_TMR
%if KIND == 1
  in eax, dx
  mov [FIRST], eax
.l: in eax, dx
  dec ecx
  jnz .l
%elif KIND == 6 || KIND == 7
%if KIND == 6
  mov edx, 0x1F7
%else
  mov edx, 0x3F6
%endif
  xor eax, eax
  in al, dx
  mov [FIRST], eax
.l: in al, dx
  dec ecx
  jnz .l
%elif KIND == 2 || KIND == 3 || KIND == 5
%if KIND == 2
%define SRC HPET + 0xF0
%elif KIND == 3
%define SRC RAMWORD
%else
%define SRC HPET + 0x20
%endif
  mov eax, [SRC]
  mov [FIRST], eax
.l: mov eax, [SRC]
  dec ecx
  jnz .l
%else
  mov ebp, ecx                            ; sectors left
  xor ebx, ebx                            ; LBA
.cmd:
  mov dx, 0x1F7
.bsy: in al, dx
  test al, 0x80
  jnz .bsy
  mov ecx, ebp
  cmp ecx, 256
  jbe .n
  mov ecx, 256
.n: mov dx, 0x1F6
  mov al, 0xE0
  out dx, al
  mov dx, 0x1F2
  mov al, cl                              ; 256 is 0
  out dx, al
  mov dx, 0x1F3
  mov al, bl
  out dx, al
  mov dx, 0x1F4
  mov al, bh
  out dx, al
  mov dx, 0x1F5
  xor al, al
  out dx, al
  mov dx, 0x1F7
  mov al, 0x20                            ; READ SECTORS
  out dx, al
  sub ebp, ecx
  add ebx, ecx
  and ebx, 2047
.s: mov dx, 0x1F7
.drq: in al, dx
  and al, 0x88
  cmp al, 0x08
  jne .drq
  push ecx
  mov edi, SECBUF
  mov dx, 0x1F0
%if KIND == 4
  mov ecx, 256
  rep insw
%else
  in ax, dx                               ; the sector's first word, kept as its first dword
  movzx eax, ax
  mov [edi], eax
  mov ecx, 255
.w: in ax, dx
  dec ecx
  jnz .w
%endif
  pop ecx
  cmp dword [FIRST], 0xFFFFFFFF
  jne .got
  mov eax, [SECBUF]
  mov [FIRST], eax
.got: loop .s
  test ebp, ebp
  jnz .cmd
  mov eax, [SECBUF]
%endif
  ret

  PM32_ROM_END
