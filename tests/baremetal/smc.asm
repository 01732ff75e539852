; Self-modifying and generated code: code copied into RAM and run, then rewritten by stores,
; by a loop patching its own immediate, by REP MOVSB, through a second linear mapping of the
; same physical page, the same bytes run as 32- and 16-bit code, and stores (MOV, REP MOVSB) into
; the very next instruction. Every check runs the
; bytes most recently written (SDM vol. 3 11.6: a write to a code location in memory
; invalidates the cached instruction), so a stale decoded-instruction cache fails them.
%include "lib.inc"
%include "pm.inc"
RAM     equ 0x20000                      ; routines are copied here (SEL_FLAT offsets = physical)
PD      equ 0x10000
; COPY src-label, end-label, dest -- copies ROM bytes to RAM
%macro COPY 3
  mov esi, 0xF0000 + %1
  mov edi, %3
  mov ecx, %2 - %1
  rep movsb
%endmacro

PM32_ROM_START
; ---- a routine copied to RAM runs, then its immediate and its opcode are rewritten by stores
  COPY r_mov, r_mov_end, RAM
  call SEL_FLAT:RAM
  CHECK "ram-code-runs", 8
  mov dword [RAM + 1], 0x100             ; the MOV's immediate
  call SEL_FLAT:RAM
  CHECK "patched-immediate", 0x103
  mov byte [RAM + 6], 0xE8               ; ModRM of ADD EAX, 3 -> SUB EAX, 3
  call SEL_FLAT:RAM
  CHECK "patched-modrm", 0xFD
  mov word [RAM + 5], 0x9090             ; "83 E8" -> NOP NOP: "03 CB" (ADD ECX, EBX) now starts at RAM + 7
  xor ecx, ecx
  mov ebx, 0x40
  call SEL_FLAT:RAM
  CHECK "patched-opcode-new-length", 0x100
  mov eax, ecx
  CHECK "patched-opcode-next-instruction", 0x40
; ---- a loop that patches its own immediate on every pass
  COPY r_loop, r_loop_end, RAM + 0x100
  call SEL_FLAT:RAM + 0x100
  CHECK "self-patching-loop", 0 + 1 + 2 + 3
  call SEL_FLAT:RAM + 0x100              ; runs on with the immediate it left behind
  CHECK "self-patching-loop-again", 4 + 5 + 6 + 7
; ---- code and a variable it updates in the same page
  COPY r_data, r_data_end, RAM + 0x200
  call SEL_FLAT:RAM + 0x200
  CHECK "code-and-data-same-page", 5050
; ---- REP MOVSB over code that already ran
  COPY r_other, r_other_end, RAM
  call SEL_FLAT:RAM
  CHECK "rep-movsb-over-code", 0xC0DE
; ---- a second linear mapping of the same physical page (4 MiB pages: linear 4 MiB -> 0)
  mov edi, PD
  xor eax, eax
  mov ecx, 1024
  rep stosd
  mov dword [PD + 0*4], 0x083
  mov dword [PD + 1*4], 0x083
  PAGING_ON PD
  COPY r_mov, r_mov_end, RAM + 0x300
  call SEL_FLAT:RAM + 0x300
  CHECK "alias-before", 8
  mov dword [0x400000 + RAM + 0x300 + 1], 0x20   ; the immediate, through linear 4 MiB + x
  call SEL_FLAT:RAM + 0x300
  CHECK "alias-write-seen", 0x23
  mov eax, cr0
  and eax, 0x7FFFFFFF
  mov cr0, eax
; ---- the same bytes as 32-bit and as 16-bit code
  COPY r_size, r_size_end, RAM + 0x400
  xor eax, eax
  call SEL_FLAT:RAM + 0x400
  CHECK "bytes-as-32-bit-code", 2
  xor eax, eax
  call word SEL_RAM16:0x400              ; 16-bit far call: the 16-bit RETF returns
  CHECK "bytes-as-16-bit-code", 0x400001
  xor eax, eax
  call SEL_FLAT:RAM + 0x400
  CHECK "bytes-as-32-bit-code-again", 2
; ---- a store into the instruction right after it, and REP MOVSB into the one after the REP:
; P6-family CPUs run the stored bytes (SDM vol. 3 "Self-Modifying Code")
  COPY r_next, r_next_end, RAM + 0x500
  call SEL_FLAT:RAM + 0x500
  CHECK "store-into-next-instruction", 0x11111142
  mov dword [0x600], 0x600DC0DE
  mov esi, 0x600
  call SEL_FLAT:RAM + 0x500 + (r_next.movs - r_next)
  CHECK "rep-movsb-into-next-instruction", 0x600DC0DE
  call finish_32

; routines (copied to RAM; each returns with a far return)
r_mov:
  mov eax, 5                             ; B8 imm32         (RAM + 0)
  add eax, 3                             ; 83 C0 03         (RAM + 5)
  retf                                   ; CB               (RAM + 8)
  retf
r_mov_end:
r_loop:
  xor ebx, ebx
  mov ecx, 4
.l:
  mov eax, 0
  add ebx, eax
  inc dword [.l + 1 - r_loop + RAM + 0x100]
  loop .l
  mov eax, ebx
  retf
r_loop_end:
r_data:
  mov ecx, 100
.l:
  add [.v - r_data + RAM + 0x200], ecx
  loop .l
  mov eax, [.v - r_data + RAM + 0x200]
  retf
.v: dd 0
r_data_end:
r_other:
  mov eax, 0xC0DE
  retf
r_other_end:
r_next:
  mov byte [RAM + 0x500 + .n - r_next + 1], 0x42
.n:
  mov eax, 0x11111111                    ; its low immediate byte was just rewritten
  retf
.movs:
  mov edi, RAM + 0x500 + .m - r_next + 1
  mov ecx, 4
  rep movsb                              ; the immediate of the next instruction
.m:
  mov eax, 0x22222222
  retf
r_next_end:
r_size:
  db 0x66, 0xB8, 0x01, 0x00, 0x40, 0x00, 0xCB, 0xCB
r_size_end:

  PM32_ROM_END
