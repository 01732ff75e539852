; Faults leave no trace (SDM vol. 3 6.5): at ring 3 with paging, instructions whose memory write
; (or one of several writes) hits a read-only or a not-present page raise #PF with the error
; code and CR2 of that write, and registers, EFLAGS and memory are as before the instruction.
; Then #SS(new SS selector), with EXT for an exception, when interrupt delivery switches to a
; not-present or too small ring-0 stack; and a long REP MOVSD taking 8254 timer interrupts
; between iterations (saved EIP at the instruction, ECX/ESI/EDI of the iterations done) and
; completing the copy.
%include "lib.inc"
%include "pm.inc"
PD    equ 0x10000                        ; page directory
PT0   equ 0x11000                        ; page table for 0-4 MiB (identity, user pages)
RW    equ 0x2FF000                       ; writable page
RO    equ 0x300000                       ; read-only page
NP    equ 0x301000                       ; not-present page
RW2   equ 0x302000                       ; writable page
USTK  equ 0x9000                         ; ring-3 stack top
REGS_IN  equ 0x600                        ; registers before (EAX ECX EDX EBX ESP EBP ESI EDI), EFLAGS
REGS_OUT equ 0x640                        ; the same at the resume point
SUMIN equ 0x680                          ; checksum of RW, RO and RW2 before
FLAGS_IN equ 0x3887                      ; IOPL 3, OF SF PF CF, IF clear
IRQ_ECX equ 0x690
IRQ_ESI equ 0x694
IRQ_EDI equ 0x698
IRQ_EIP equ 0x69C
SRC   equ 0x800000                       ; REP MOVSD source and destination (paging off)
DST   equ 0xC00000
COUNT equ 0x100000                       ; dwords (4 MiB)

; TRY name, error code, CR2, instruction [, setup [, setup]] -- canonical registers and flags,
; the setup instructions (MOVs), then the instruction, which must raise #PF; checks the error
; code, CR2, and that registers, EFLAGS (and EIP) and memory did not change.
%macro TRY 4-6
  mov esp, USTK
  call preset
  push dword FLAGS_IN
  popfd
%if %0 >= 5
  %5
%endif
%if %0 >= 6
  %6
%endif
  mov [REGS_IN+0], eax
  mov [REGS_IN+4], ecx
  mov [REGS_IN+8], edx
  mov [REGS_IN+12], ebx
  mov [REGS_IN+16], esp
  mov [REGS_IN+20], ebp
  mov [REGS_IN+24], esi
  mov [REGS_IN+28], edi
  EXPECT %%after
%%insn:
  %4
%%after:
  mov [REGS_OUT+0], eax
  mov [REGS_OUT+4], ecx
  mov [REGS_OUT+8], edx
  mov [REGS_OUT+12], ebx
  mov [REGS_OUT+16], esp
  mov [REGS_OUT+20], ebp
  mov [REGS_OUT+24], esi
  mov [REGS_OUT+28], edi
  mov esp, USTK
  pushfd
  pop dword [REGS_OUT+32]
  mov eax, [LASTVEC]
  CHECK {%1, "-pf-vector"}, 14
  mov eax, [LASTERR]
  CHECK {%1, "-pf-error"}, %2
  mov eax, [LASTCR2]
  CHECK {%1, "-cr2"}, %3
  mov edx, %%insn
  call verify
  CHECK {%1, "-no-trace"}, 0
%endmacro

; SSFAULT name, error code, instruction -- the instruction at ring 3 raises #SS, recorded by
; the conforming-segment handler; checks the vector, error code and faulting EIP.
%macro SSFAULT 3
  EXPECT %%after
%%insn:
  %3
%%after:
  mov eax, [LASTVEC]
  CHECK {%1, "-ss-vector"}, 12
  mov eax, [LASTERR]
  CHECK {%1, "-ss-error"}, %2
  mov eax, [FAULTIP]
  CHECK {%1, "-ss-eip"}, %%insn
%endmacro

PM32_ROM_START
  mov edi, PD                            ; clear the directory
  xor eax, eax
  mov ecx, 1024
  rep stosd
  mov edi, PT0                           ; identity map 0-4 MiB with 4 KiB user pages
  mov eax, 0x007
  mov ecx, 1024
.pt: stosd
  add eax, 0x1000
  loop .pt
  mov dword [PD], PT0 | 0x007
  mov dword [PT0 + (RO >> 12)*4], RO | 0x005   ; user read-only
  mov dword [PT0 + (NP >> 12)*4], 0            ; not present
  mov edi, RW                            ; a pattern in RW, RO, NP, RW2
  mov eax, 0x5A0F3C96
  mov ecx, 4*1024
.fill: stosd
  add eax, 0x9E3779B9
  loop .fill
  MAIN_TSS 104
  PAGING_ON PD
  fninit
  SET_GATE 0x80, h_back, 0xEE, SEL_CODE32
  SET_GATE 0x81, h_back, 0xEE, SEL_CODE32
  push dword SEL_UDATA | 3               ; to ring 3 with IOPL 3 (REGS_OUT to the debug console)
  push dword USTK
  push dword 0x3002
  push dword SEL_UCODE | 3
  push dword user
  iret

user:
  mov ax, SEL_UDATA | 3
  mov ds, ax
  mov es, ax
; ---- read-modify-write destinations: the flags (and XADD's register) must not change
  TRY "adc-ro", 7, RO+0x10, {adc [ebx], eax}
  TRY "adc-straddle", 7, RO, {adc dword [ebx], 0x12345}, {mov ebx, RO-2}
  TRY "sbb-ro", 7, RO+0x10, {sbb byte [ebx], 0x81}
  TRY "rcl-ro", 7, RO+0x10, {rcl dword [ebx], 1}
  TRY "rcr-straddle", 7, RO, {rcr dword [ebx], cl}, {mov ebx, RO-1}
  TRY "rcr-not-present", 6, NP+8, {rcr byte [ebx], 1}, {mov ebx, NP+8}
  TRY "inc-straddle", 7, RO, {inc dword [ebx]}, {mov ebx, RO-3}
  TRY "neg-ro", 7, RO+0x10, {neg word [ebx]}
  TRY "shld-ro", 7, RO+0x10, {shld [ebx], eax, 4}
  TRY "bts-ro", 7, RO+0x10, {bts [ebx], ecx}
  TRY "xadd-ro", 7, RO+0x10, {xadd [ebx], eax}
  TRY "xadd-straddle", 7, RO, {xadd [ebx], edx}, {mov ebx, RO-2}
  TRY "cmpxchg-ro", 7, RO+0x10, {cmpxchg [ebx], ecx}
  TRY "cmpxchg8b-straddle", 7, RO, {cmpxchg8b [ebx]}, {mov ebx, RO-4}
  TRY "xchg-ro", 7, RO+0x10, {xchg [ebx], eax}
; ---- stores of several parts: nothing of the part on the writable page is written
  TRY "movsd-straddle", 7, RO, {movsd}, {mov edi, RO-2}
  TRY "sgdt-straddle", 7, RO, {sgdt [ebx]}, {mov ebx, RO-4}
  TRY "fnstenv-straddle", 7, RO, {fnstenv [ebx]}, {mov ebx, RO-12}
; ---- the stack: pushes running from a writable page into a not-present one write nothing
  TRY "push-ro", 7, RO+0xC, {push eax}, {mov esp, RO+0x10}
  TRY "call-ro", 7, RO+0xC, {call checksum}, {mov esp, RO+0x10}
  TRY "call-far-partial", 6, NP+0xFFC, {call SEL_UCODE|3:checksum}, {mov esp, RW2+4}
  TRY "pushad-partial", 6, NP+0xFFC, {pushad}, {mov esp, RW2+0x10}
  TRY "popad-partial", 4, NP, {popad}, {mov esp, RO+0xFF0}
  TRY "enter-final-esp", 6, NP+0xFF4, {enter 16, 0}, {mov esp, RW2+8}
  TRY "enter-nested", 6, NP+0xFFC, {enter 8, 3}, {mov esp, RW2+8}, {mov ebp, RW+0x100}
  TRY "pop-mem-ro", 7, RO+0x10, {pop dword [ebx]}
; ---- #SS during delivery to ring 0: the ring-0 stack is not present, or too small for the
; frame; #SS (and any #TS/#NP/#GP/#DF) goes through a conforming code segment, so it runs at
; ring 3 on this stack. IDT and TSS are on user pages here.
  mov esp, USTK
  SET_GATE 8, conf_8, 0x8E, SEL_CONF
  SET_GATE 10, conf_10, 0x8E, SEL_CONF
  SET_GATE 11, conf_11, 0x8E, SEL_CONF
  SET_GATE 12, conf_12, 0x8E, SEL_CONF
  SET_GATE 13, conf_13, 0x8E, SEL_CONF
  mov dword [TSS1 + 8], SEL_NP
  SSFAULT "int-not-present-stack", SEL_NP, {int 0x81}
  SSFAULT "exception-not-present-stack", SEL_NP | 1, {ud2}
  mov dword [TSS1 + 8], SEL_SMALL        ; limit 0xFFF: ESP0 = 8 leaves no room for the frame
  mov dword [TSS1 + 4], 8
  SSFAULT "int-stack-no-room", SEL_SMALL, {int 0x81}
  SSFAULT "exception-stack-no-room", SEL_SMALL | 1, {ud2}
  mov dword [TSS1 + 8], SEL_DATA32
  mov dword [TSS1 + 4], 0x6000
  SET_GATE 8, fault_stubs + 8*16, 0x8E, SEL_CODE32
  SET_GATE 10, fault_stubs + 10*16, 0x8E, SEL_CODE32
  SET_GATE 11, fault_stubs + 11*16, 0x8E, SEL_CODE32
  SET_GATE 12, fault_stubs + 12*16, 0x8E, SEL_CODE32
  SET_GATE 13, fault_stubs + 13*16, 0x8E, SEL_CODE32
  int 0x80

h_back:                                  ; ring 0 again
  mov ax, SEL_DATA32
  mov ds, ax
  mov es, ax
  mov esp, 0x7000
  mov eax, cr0                           ; paging off: the copy runs in physical memory
  and eax, 0x7FFFFFFF
  mov cr0, eax
; ---- REP MOVSD of 4 MiB while the 8254 interrupts at ~10 kHz
  mov edi, SRC
  mov eax, 0x12345678
  mov ecx, COUNT
.src: stosd
  add eax, 0x9E3779B9
  dec ecx
  jnz .src
  mov edi, DST
  xor eax, eax
  mov ecx, COUNT
  rep stosd
  mov dword [0xFEE000F0], 0x1FF          ; local APIC (if any): software enable, LINT0 = ExtINT,
  mov dword [0xFEE00350], 0x700          ; so the 8259's INTR reaches the core as on a PC
  SET_GATE 0x20, h_irq0, 0x8E, SEL_CODE32
  mov al, 0x11                           ; ICW1
  out 0x20, al
  out 0xA0, al
  mov al, 0x20                           ; ICW2: vectors 0x20.. / 0x28..
  out 0x21, al
  mov al, 0x28
  out 0xA1, al
  mov al, 0x04                           ; ICW3
  out 0x21, al
  mov al, 0x02
  out 0xA1, al
  mov al, 0x01                           ; ICW4: 8086 mode, normal EOI
  out 0x21, al
  out 0xA1, al
  mov al, 0xFE                           ; only IRQ0
  out 0x21, al
  mov al, 0xFF
  out 0xA1, al
  mov dword [TICKS], 0
  mov al, 0x34                           ; channel 0, lo/hi byte, mode 2
  out 0x43, al
  mov ax, 120                            ; ~10 kHz
  out 0x40, al
  mov al, ah
  out 0x40, al
  mov esi, SRC
  mov edi, DST
  mov ecx, COUNT
  sti
rep_insn:
  rep movsd
  cli
  mov [REGS_OUT+4], ecx
  mov [REGS_OUT+24], esi
  mov al, 0xFF
  out 0x21, al
  xor eax, eax
  cmp dword [TICKS], 0
  setne al
  CHECK "rep-movs-irq-during-copy", 1
  mov eax, [IRQ_EIP]
  CHECK "rep-movs-irq-saved-eip", rep_insn
  mov ecx, [IRQ_ECX]
  xor eax, eax
  test ecx, ecx
  jz .ecx_done
  cmp ecx, COUNT
  jae .ecx_done
  inc eax
.ecx_done:
  CHECK "rep-movs-irq-ecx-mid-copy", 1
  mov ecx, COUNT                         ; ESI/EDI advanced by the iterations ECX says are done
  sub ecx, [IRQ_ECX]
  shl ecx, 2
  mov eax, [IRQ_ESI]
  sub eax, SRC
  sub eax, ecx
  CHECK "rep-movs-irq-esi-matches-ecx", 0
  mov eax, [IRQ_EDI]
  sub eax, DST
  sub eax, ecx
  CHECK "rep-movs-irq-edi-matches-ecx", 0
  mov eax, [REGS_OUT+4]
  CHECK "rep-movs-ecx-done", 0
  mov eax, [REGS_OUT+24]
  CHECK "rep-movs-esi-done", SRC + COUNT*4
  mov esi, SRC
  mov edi, DST
  mov ecx, COUNT
  repe cmpsd
  mov eax, ecx
  CHECK "rep-movs-copy-complete", 0
  call finish_32

h_irq0:
  push eax
  cmp dword [TICKS], 0
  jne .later
  mov [IRQ_ECX], ecx
  mov [IRQ_ESI], esi
  mov [IRQ_EDI], edi
  mov eax, [esp+4]
  mov [IRQ_EIP], eax
.later:
  inc dword [TICKS]
  mov al, 0x20
  out 0x20, al
  pop eax
  iret

; ring-3 helpers of TRY
preset:                                  ; checksum before, canonical registers (ESP kept)
  call checksum
  mov [SUMIN], eax
  mov dword [REGS_IN+32], FLAGS_IN
  mov eax, 0x80000001
  mov ecx, 3
  mov edx, 0x01020304
  mov ebx, RO + 0x10
  mov ebp, RW2 + 0x800
  mov esi, RW + 0x10
  mov edi, RO + 0x10
  ret
checksum:                                ; EAX = checksum of RW, RO and RW2
  xor eax, eax
  mov esi, RW
.a: add eax, [esi]
  rol eax, 3
  add esi, 4
  cmp esi, NP
  jb .a
  mov esi, RW2
.b: add eax, [esi]
  rol eax, 3
  add esi, 4
  cmp esi, RW2 + 0x1000
  jb .b
  ret
verify:                                  ; EDX = the instruction; EAX = bits of what changed:
  xor eax, eax                           ; 0-7 registers (REGS_IN order), 8 EFLAGS, 9 memory, 10 EIP
  xor ecx, ecx
.r: mov ebx, [REGS_IN + ecx*4]
  cmp ebx, [REGS_OUT + ecx*4]
  je .same
  bts eax, ecx
.same:
  inc ecx
  cmp ecx, 9
  jb .r
  cmp edx, [FAULTIP]
  je .ip
  or eax, 0x400
.ip:
  push eax
  call checksum
  cmp eax, [SUMIN]
  pop eax
  je .mem
  or eax, 0x200
.mem:
  ret

; recorders for #DF/#TS/#NP/#SS/#GP entered through the conforming segment (CPL 3, this stack)
%macro CONF 1
conf_%1:
  mov dword [LASTVEC], %1
  jmp conf_common
%endmacro
  CONF 8
  CONF 10
  CONF 11
  CONF 12
  CONF 13
conf_common:                             ; [esp]=error [esp+4]=EIP
  pop dword [LASTERR]
  push eax
  mov eax, [esp+4]
  mov [FAULTIP], eax
  mov eax, [RESUME]
  mov [esp+4], eax
  pop eax
  iret

  PM32_ROM_END
