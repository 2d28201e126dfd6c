//! Asking the lab: `samba-tool`, writes only the system may make, keytabs and what the KDC
//! does for S4U2Self + S4U2Proxy.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use crate::setup::run;
use crate::{Lab, Result};

impl Lab {
    /// `samba-tool ARGS -s CONF`, its output appended to `lab.log`.
    pub fn samba_tool(&self, args: &[&str]) -> Result<()> {
        run(
            Command::new("samba-tool")
                .args(args)
                .arg("-s")
                .arg(&self.conf),
            &self.dir.join("lab.log"),
        )
    }

    /// Applies an LDIF change to the domain's database directly (`ldbmodify`, as the
    /// system): Samba 4.17 refuses some writes over LDAP even to Administrator
    /// (`msDS-AllowedToActOnBehalfOfOtherIdentity` "can only be modified as system").
    ///
    /// # Errors
    /// What `ldbmodify` said.
    pub fn modify_as_system(&self, ldif: &str) -> Result<()> {
        let file = self.dir.join("change.ldif");
        fs::write(&file, ldif).map_err(|e| format!("{}: {e}", file.display()))?;
        let sam = self.dir.join("private").join("sam.ldb");
        let out = Command::new("ldbmodify")
            .arg("-H")
            .arg(&sam)
            .arg(&file)
            .output()
            .map_err(|e| format!("cannot run ldbmodify: {e}"))?;
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // ldbmodify skips a record whose value does not parse (a malformed security
        // descriptor) and still exits 0: "Modified 0 records".
        if out.status.success() && !said.contains("Modified 0 records") {
            Ok(())
        } else {
            Err(format!(
                "ldbmodify refused the change ({}): {}",
                out.status,
                said.trim()
            ))
        }
    }

    /// Applies `change` (LDIF lines after `changetype: modify`, e.g. `replace: dNSHostName`
    /// then the value) to the computer `cn` under `CN=Computers`, as the system.
    ///
    /// # Errors
    /// What `ldbmodify` said.
    pub fn modify_computer(&self, cn: &str, change: &str) -> Result<()> {
        self.modify_as_system(&format!(
            "dn: CN={cn},CN=Computers,{}\nchangetype: modify\n{change}",
            self.base_dn
        ))
    }

    /// Exports `principal`'s keys (`samba-tool domain exportkeytab`) to a keytab in the
    /// lab's folder and returns its path.
    ///
    /// # Errors
    /// What `samba-tool` said.
    pub fn keytab(&self, principal: &str) -> Result<PathBuf> {
        let file = self.dir.join(format!(
            "{}.keytab",
            principal.replace(['/', '$', ':'], "_")
        ));
        let _ = fs::remove_file(&file);
        let keytab = file.display().to_string();
        let principal = format!("--principal={principal}");
        self.samba_tool(&["domain", "exportkeytab", &keytab, &principal])?;
        Ok(file)
    }

    /// What the KDC does for S4U2Self + S4U2Proxy: `service` (with its keytab, a forwardable
    /// TGT) asks for a ticket to `target` on behalf of `client`. `Ok(true)` when the ticket is
    /// issued, `Ok(false)` when the KDC refuses, with `kvno`'s message in the lab log.
    ///
    /// # Errors
    /// When `kinit` fails (the service's own logon), which is no delegation answer.
    pub fn s4u(&self, service: &str, client: &str, target: &str) -> Result<bool> {
        let keytab = self.keytab(service)?;
        let cache = self
            .dir
            .join(format!("ccache-{}", service.replace(['/', '$', ':'], "_")));
        let cache = format!("FILE:{}", cache.display());
        let kerberos = |program: &str| {
            let mut c = Command::new(program);
            c.env("KRB5_CONFIG", &self.krb5_conf)
                .env("KRB5CCNAME", &cache);
            c
        };
        run(
            kerberos("kinit")
                .args(["-f", "-k", "-t"])
                .arg(&keytab)
                .arg(service),
            &self.dir.join("kerberos.log"),
        )?;
        let log = self.dir.join("kerberos.log");
        Ok(run(kerberos("kvno").args(["-U", client, "-P", target]), &log).is_ok())
    }
}
