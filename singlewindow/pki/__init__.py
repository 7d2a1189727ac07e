"""The federation PKI: demo issuance, trust list, trust store (chains, CRLs) and registry of officials."""

from singlewindow.pki.certificates import build_crl, issue_leaf, issue_root_ca
from singlewindow.pki.countries import ALADI_COUNTRIES, check_country_code, check_country_codes
from singlewindow.pki.federation import CountryPKI, Federation, Identity
from singlewindow.pki.files import Algorithm, PrivateKey, generate_key
from singlewindow.pki.issue import init_federation
from singlewindow.pki.registry import Registry, RegistryAnswer
from singlewindow.pki.trust import CacheStats, ChainResult, TrustStore, fingerprint
from singlewindow.pki.trustlist import CountryEntry, Entity, HubEntry, Official, Trustlist

__all__ = [
    "ALADI_COUNTRIES",
    "Algorithm",
    "CacheStats",
    "ChainResult",
    "CountryEntry",
    "CountryPKI",
    "Entity",
    "Federation",
    "HubEntry",
    "Identity",
    "Official",
    "PrivateKey",
    "Registry",
    "RegistryAnswer",
    "TrustStore",
    "Trustlist",
    "build_crl",
    "check_country_code",
    "check_country_codes",
    "fingerprint",
    "generate_key",
    "init_federation",
    "issue_leaf",
    "issue_root_ca",
]
