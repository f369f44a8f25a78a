//! What `build.rs` puts into the `lookerbot` binary itself, read from the ELF file cargo built for these tests.

/// `DT_RELR`: the dynamic section's entry for packed relative relocations.
const DT_RELR: i64 = 36;
/// `PT_DYNAMIC`: the program header of the dynamic section.
const PT_DYNAMIC: u32 = 2;

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(bytes[at..at + 2].try_into().expect("2 bytes"))
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// The tags of a 64-bit little-endian ELF file's dynamic section.
fn dynamic_tags(elf: &[u8]) -> Vec<i64> {
    assert_eq!(&elf[..4], b"\x7fELF", "not an ELF file");
    assert_eq!((elf[4], elf[5]), (2, 1), "not 64-bit little-endian");
    let program_headers = u64_at(elf, 0x20) as usize;
    let entry_size = u16_at(elf, 0x36) as usize;
    let entries = u16_at(elf, 0x38) as usize;
    let dynamic = (0..entries)
        .map(|index| program_headers + index * entry_size)
        .find(|&header| u32_at(elf, header) == PT_DYNAMIC)
        .expect("a dynamic section");
    let (offset, size) = (u64_at(elf, dynamic + 8) as usize, u64_at(elf, dynamic + 32) as usize);
    (offset..offset + size)
        .step_by(16)
        .map(|entry| u64_at(elf, entry) as i64)
        .take_while(|&tag| tag != 0)
        .collect()
}

#[test]
fn relative_relocations_are_packed() {
    let elf = std::fs::read(env!("CARGO_BIN_EXE_lookerbot")).expect("the lookerbot binary");
    let tags = dynamic_tags(&elf);
    assert!(!tags.is_empty(), "a dynamic section without entries");
    assert!(
        tags.contains(&DT_RELR),
        "no packed relative relocations (DT_RELR) in the binary; its tags: {tags:?}"
    );
}

/// mimalloc is linked in (the prefix of its messages is in the binary; the linker drops it unless it is the global
/// allocator), and the process runs without transparent huge pages (`THP_enabled: 0` in `/proc/<pid>/status`).
#[test]
fn the_allocator_is_mimalloc_and_huge_pages_are_off() {
    use std::io::BufRead;

    let binary = env!("CARGO_BIN_EXE_lookerbot");
    let elf = std::fs::read(binary).expect("the binary cargo built");
    assert!(
        elf.windows(10).any(|window| window == b"mimalloc: "),
        "mimalloc is not linked in"
    );

    let mut sandbox = std::process::Command::new(binary)
        .args(["sandbox", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the sandbox starts");
    let mut first_line = String::new();
    std::io::BufReader::new(sandbox.stdout.take().expect("its output"))
        .read_line(&mut first_line)
        .expect("it says where it runs");
    let status = std::fs::read_to_string(format!("/proc/{}/status", sandbox.id())).expect("its status");
    sandbox.kill().expect("it stops");
    let _ = sandbox.wait();
    let own = std::fs::read_to_string("/proc/self/status").expect("this test's status");
    let thp = |status: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("THP_enabled:"))
            .map(|value| value.trim().to_owned())
    };
    assert_eq!(thp(&status), thp(&own).map(|_| "0".to_owned()), "{first_line}");
}
